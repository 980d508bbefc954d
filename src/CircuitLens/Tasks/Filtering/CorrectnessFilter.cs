// Keeps only the pairs the model gets right (step 3 of every task's pipeline), for any metric:
//   logit-diff (IOI): top-1 next token is the answer on the clean prompt and, for S2-swap corruptions
//     (field "corruption" absent or "s2-swap"), the wrong token on the corrupted one; the looser sign
//     mode asks for clean logit diff > 0 and corrupted < 0.
//   prob-diff, logit-diff-to-max: top-1 next token is an answer on the clean prompt; sign mode asks for
//     a clean metric > 0. The corrupted side has no sign convention for these metrics and is not checked.
using CircuitLens.Model;
using CircuitLens.Patching.Metrics;
using CircuitLens.Tasks.Pairs;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Tasks.Filtering;

public enum CorrectnessMode
{
    /// <summary>Clean top-1 is an answer; for logit-diff S2-swap pairs also corrupted top-1 = wrong.</summary>
    Top1,
    /// <summary>Clean metric &gt; 0; for logit-diff S2-swap pairs also corrupted &lt; 0.</summary>
    Sign,
}

/// <summary>One row's outcome: 1-based row, kept or why not, the metric on both prompts, and both top-1 tokens.</summary>
public sealed record CorrectnessVerdict(int Row, bool Kept, string? Reason, float CleanMetric, float CorruptMetric, string CleanTop, string CorruptTop);

public sealed record CorrectnessFilterResult(PairSet Input, IReadOnlyList<PairRow> Kept, IReadOnlyList<CorrectnessVerdict> Verdicts)
{
    public int DroppedCount => Verdicts.Count(v => !v.Kept);
    public IReadOnlyDictionary<string, int> ReasonCounts => Verdicts.Where(v => !v.Kept).GroupBy(v => v.Reason!).ToDictionary(g => g.Key, g => g.Count());
    /// <summary>The metric the verdicts were computed with.</summary>
    public string Metric => Input.Metric;
}

public static class CorrectnessFilter
{
    public static CorrectnessFilterResult Run(HookedTransformer model, TokenizedPairs pairs, CorrectnessMode mode, int batchSize = 32,
        IProgress<int>? progress = null, CancellationToken ct = default)
    {
        var verdicts = new List<CorrectnessVerdict>(pairs.Count);
        var kept = new List<PairRow>();
        var metric = pairs.Metric;
        bool logitDiff = metric is LogitDiffMetric;
        for (int start = 0; start < pairs.Count; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(batchSize, pairs.Count - start);
            var clean = model.Forward(TokenBatch.FromSequences(pairs.Clean.Skip(start).Take(n).ToList()), LogitsMode.LastPosition);
            var corrupt = model.Forward(TokenBatch.FromSequences(pairs.Corrupt.Skip(start).Take(n).ToList()), LogitsMode.LastPosition);
            var chunkMetric = metric.Slice(start, n);
            var cleanValue = chunkMetric.FromLogits(clean);
            var corruptValue = chunkMetric.FromLogits(corrupt);
            string name = logitDiff ? "logit difference" : metric.Name;
            NonFiniteMetric.Check(model, $"clean {name}", cleanValue, i => pairs.Clean[start + i], start);
            NonFiniteMetric.Check(model, $"corrupted {name}", corruptValue, i => pairs.Corrupt[start + i], start);
            for (int i = 0; i < n; i++)
            {
                int row = start + i;
                var pair = pairs.Pairs.Rows[row];
                bool checkCorrupt = logitDiff && pair.Text("corruption") is null or "s2-swap";
                int cleanTop = TensorPrimitives.IndexOfMax(clean.Slice(i, 0)), corruptTop = TensorPrimitives.IndexOfMax(corrupt.Slice(i, 0));
                string? reason = mode switch
                {
                    CorrectnessMode.Top1 when !metric.Targets.Answers[row].Contains(cleanTop) => "clean_top1_not_answer",
                    CorrectnessMode.Top1 when checkCorrupt && corruptTop != metric.Targets.Wrong[row][0] => "corrupt_top1_not_wrong",
                    CorrectnessMode.Sign when !(cleanValue[i] > 0) => logitDiff ? "clean_logit_diff_not_positive" : "clean_metric_not_positive",
                    CorrectnessMode.Sign when checkCorrupt && !(corruptValue[i] < 0) => "corrupt_logit_diff_not_negative",
                    _ => null,
                };
                verdicts.Add(new CorrectnessVerdict(row + 1, reason is null, reason, cleanValue[i], corruptValue[i],
                    model.Tokenizer.TokenToString(cleanTop), model.Tokenizer.TokenToString(corruptTop)));
                if (reason is null) kept.Add(pair);
            }
            progress?.Report(start + n);
        }
        return new CorrectnessFilterResult(pairs.Pairs, kept, verdicts);
    }

    public static string Describe(string reason) => reason switch
    {
        "clean_top1_not_answer" => "the clean prompt's top-1 next token is not the answer",
        "corrupt_top1_not_wrong" => "the corrupted prompt's top-1 next token is not the competing name",
        "clean_logit_diff_not_positive" => "clean logit(answer) − logit(wrong) ≤ 0",
        "corrupt_logit_diff_not_negative" => "corrupted logit(answer) − logit(wrong) ≥ 0",
        "clean_metric_not_positive" => "the clean prompt's metric ≤ 0",
        _ => reason,
    };

    public static CorrectnessMode ParseMode(string text) => text switch
    {
        "top1" => CorrectnessMode.Top1,
        "sign" => CorrectnessMode.Sign,
        _ => throw new CircuitLensException($"unknown filter mode '{text}' (top1 or sign)"),
    };
}
