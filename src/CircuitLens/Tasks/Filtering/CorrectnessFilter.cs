// Keeps only the pairs the model gets right (step 3 of the IOI pipeline): top-1 next token is the
// answer on the clean prompt and, for S2-swap corruptions, the competing name on the corrupted one.
// The looser mode only asks for the right sign of the logit difference.
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Ioi;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Tasks.Filtering;

public enum CorrectnessMode
{
    /// <summary>Clean top-1 = answer; corrupted (S2-swap) top-1 = wrong.</summary>
    Top1,
    /// <summary>Clean logit difference &gt; 0; corrupted (S2-swap) &lt; 0.</summary>
    Sign,
}

public sealed record CorrectnessVerdict(int Row, bool Kept, string? Reason, float CleanLogitDiff, float CorruptLogitDiff, string CleanTop, string CorruptTop);

public sealed record CorrectnessFilterResult(IReadOnlyList<IoiPair> Kept, IReadOnlyList<CorrectnessVerdict> Verdicts)
{
    public int DroppedCount => Verdicts.Count(v => !v.Kept);
    public IReadOnlyDictionary<string, int> ReasonCounts => Verdicts.Where(v => !v.Kept).GroupBy(v => v.Reason!).ToDictionary(g => g.Key, g => g.Count());
}

public static class CorrectnessFilter
{
    public static CorrectnessFilterResult Run(HookedTransformer model, IoiTokenizedPairs pairs, CorrectnessMode mode, int batchSize = 32,
        IProgress<int>? progress = null, CancellationToken ct = default)
    {
        var verdicts = new List<CorrectnessVerdict>(pairs.Count);
        var kept = new List<IoiPair>();
        for (int start = 0; start < pairs.Count; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(batchSize, pairs.Count - start);
            var clean = model.Forward(TokenBatch.FromSequences(pairs.Clean.Skip(start).Take(n).ToList()), LogitsMode.LastPosition);
            var corrupt = model.Forward(TokenBatch.FromSequences(pairs.Corrupt.Skip(start).Take(n).ToList()), LogitsMode.LastPosition);
            var answers = pairs.AnswerIds[start..(start + n)]; var wrongs = pairs.WrongIds[start..(start + n)];
            var cleanLd = LogitDiff.Compute(clean, answers, wrongs);
            var corruptLd = LogitDiff.Compute(corrupt, answers, wrongs);
            NonFiniteMetric.Check(model, "clean logit difference", cleanLd, i => pairs.Clean[start + i], start);
            NonFiniteMetric.Check(model, "corrupted logit difference", corruptLd, i => pairs.Corrupt[start + i], start);
            for (int i = 0; i < n; i++)
            {
                int row = start + i;
                var pair = pairs.Pairs[row];
                bool checkCorrupt = pair.Corruption is null or "s2-swap";
                int cleanTop = TensorPrimitives.IndexOfMax(clean.Slice(i, 0)), corruptTop = TensorPrimitives.IndexOfMax(corrupt.Slice(i, 0));
                string? reason = mode switch
                {
                    CorrectnessMode.Top1 when cleanTop != answers[i] => "clean_top1_not_answer",
                    CorrectnessMode.Top1 when checkCorrupt && corruptTop != wrongs[i] => "corrupt_top1_not_wrong",
                    CorrectnessMode.Sign when !(cleanLd[i] > 0) => "clean_logit_diff_not_positive",
                    CorrectnessMode.Sign when checkCorrupt && !(corruptLd[i] < 0) => "corrupt_logit_diff_not_negative",
                    _ => null,
                };
                verdicts.Add(new CorrectnessVerdict(row + 1, reason is null, reason, cleanLd[i], corruptLd[i],
                    model.Tokenizer.TokenToString(cleanTop), model.Tokenizer.TokenToString(corruptTop)));
                if (reason is null) kept.Add(pair);
            }
            progress?.Report(start + n);
        }
        return new CorrectnessFilterResult(kept, verdicts);
    }

    public static string Describe(string reason) => reason switch
    {
        "clean_top1_not_answer" => "the clean prompt's top-1 next token is not the answer",
        "corrupt_top1_not_wrong" => "the corrupted prompt's top-1 next token is not the competing name",
        "clean_logit_diff_not_positive" => "clean logit(answer) − logit(wrong) ≤ 0",
        "corrupt_logit_diff_not_negative" => "corrupted logit(answer) − logit(wrong) ≥ 0",
        _ => reason,
    };
}
