// The correctness filter of the task experiments: scores every clean and corrupted prompt with the
// task's metric, keeps the rows the model gets right (CorrectnessRule), optionally only whole groups
// (an acronym is kept when all three of its letters are right), and writes kept.jsonl and
// filter_model.json (every row's verdict, metric values and clean top-1 token).
using System.Text.Json;
using CircuitLens.Model;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Tasks.Experiments;

/// <summary>One row's outcome; Row is 1-based.</summary>
public sealed record RowVerdict(int Row, bool Kept, string? Reason, float CleanMetric, float CorruptMetric, string CleanTop);

public sealed record ExperimentFilterResult(PairSet? Kept, IReadOnlyList<RowVerdict> Verdicts)
{
    public int KeptCount => Verdicts.Count(v => v.Kept);
    public IReadOnlyDictionary<string, int> ReasonCounts => Verdicts.Where(v => !v.Kept).GroupBy(v => v.Reason!).ToDictionary(g => g.Key, g => g.Count());
}

public static class ExperimentFilter
{
    /// <summary>Scores every row; <paramref name="group"/> (row index → group key) makes a row's verdict its whole group's.</summary>
    public static ExperimentFilterResult Run(HookedTransformer model, PairSet pairs, bool prependBos, CorrectnessRule rule,
        Func<int, int>? group = null, int batchSize = 32, CancellationToken ct = default)
    {
        var tokenized = pairs.Tokenize(model, prependBos);
        var (clean, corrupt, top) = Score(model, tokenized, batchSize, ct);
        var reasons = new string?[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            reasons[i] = rule switch
            {
                CorrectnessRule.Top1 when !tokenized.Metric.Targets.Answers[i].Contains(top[i]) => "clean_top1_not_answer",
                CorrectnessRule.Sign when !(clean[i] > 0) => "clean_metric_not_positive",
                _ => null,
            };
        }
        if (group is not null)
        {
            var failed = Enumerable.Range(0, pairs.Count).Where(i => reasons[i] is not null).Select(group).ToHashSet();
            for (int i = 0; i < pairs.Count; i++)
                if (reasons[i] is null && failed.Contains(group(i))) reasons[i] = "another_row_of_the_group_wrong";
        }
        var verdicts = Enumerable.Range(0, pairs.Count)
            .Select(i => new RowVerdict(i + 1, reasons[i] is null, reasons[i], clean[i], corrupt[i], model.Tokenizer.TokenToString(top[i]))).ToList();
        var keep = Enumerable.Range(0, pairs.Count).Where(i => reasons[i] is null).ToList();
        return new ExperimentFilterResult(keep.Count == 0 ? null : pairs.Subset(keep), verdicts);
    }

    /// <summary>The clean and corrupted metric of every row and the clean prompt's top-1 token.</summary>
    public static (float[] Clean, float[] Corrupt, int[] CleanTop) Score(HookedTransformer model, TokenizedPairs pairs, int batchSize = 32, CancellationToken ct = default)
    {
        int n = pairs.Count;
        var clean = new float[n]; var corrupt = new float[n]; var top = new int[n];
        for (int start = 0; start < n; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, n - start);
            var metric = pairs.Metric.Slice(start, count);
            var cleanLogits = model.Forward(TokenBatch.FromSequences(pairs.Clean.Skip(start).Take(count).ToList()), LogitsMode.LastPosition);
            var corruptLogits = model.Forward(TokenBatch.FromSequences(pairs.Corrupt.Skip(start).Take(count).ToList()), LogitsMode.LastPosition);
            metric.FromLogits(cleanLogits).CopyTo(clean, start);
            metric.FromLogits(corruptLogits).CopyTo(corrupt, start);
            for (int i = 0; i < count; i++) top[start + i] = TensorPrimitives.IndexOfMax(cleanLogits.Slice(i, 0));
        }
        return (clean, corrupt, top);
    }

    public static string Describe(string reason) => reason switch
    {
        "clean_top1_not_answer" => "the clean prompt's top-1 next token is not an answer token",
        "clean_metric_not_positive" => "the clean metric is not positive",
        "another_row_of_the_group_wrong" => "right here, but wrong at another step of the same acronym",
        _ => reason,
    };

    /// <summary>Writes filter_model.json: the rule, counts per reason, and every row's verdict.</summary>
    public static void WriteReport(string path, ExperimentFilterResult result, CorrectnessRule rule, string metric, bool prependBos)
    {
        var report = new
        {
            rule = rule.ToString().ToLowerInvariant(),
            metric,
            prepend_bos = prependBos,
            total = result.Verdicts.Count,
            kept = result.KeptCount,
            reasons = result.ReasonCounts.ToDictionary(kv => kv.Key, kv => new { count = kv.Value, description = Describe(kv.Key) }),
            mean_clean_metric = result.Verdicts.Average(v => v.CleanMetric),
            mean_corrupt_metric = result.Verdicts.Average(v => v.CorruptMetric),
            rows = result.Verdicts.Select(v => new { row = v.Row, kept = v.Kept, reason = v.Reason, clean_metric = v.CleanMetric, corrupt_metric = v.CorruptMetric, clean_top1 = v.CleanTop }),
        };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    }
}
