// What the induction-heads work measures on repeated random tokens B B (REFERENCE.md §8):
// the loss of each next-token prediction by position (high over the first copy, where the tokens are
// unpredictable; low over the second, where an induction circuit copies), and each head's induction
// score: mean attention from a second-copy token to the token after its earlier occurrence
// (offset L − 1), and its previous-token score (attention to offset 1).
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Tasks.Induction;

/// <param name="LossByPosition">[2L − 1]: mean loss of predicting token t+1 of B B from tokens ..t (BOS not counted).</param>
/// <param name="InductionScores">[layer, head]: mean attention to offset L − 1 over the second copy's tokens.</param>
/// <param name="PreviousTokenScores">[layer, head]: mean attention to offset 1 over every token after the first.</param>
public sealed record RepeatedSequenceAnalysis(int BlockLength, float[] LossByPosition, Tensor InductionScores, Tensor PreviousTokenScores)
{
    /// <summary>Mean loss over the first copy's predictions of its own tokens 1..L−1.</summary>
    public float FirstHalfLoss => LossByPosition[..(BlockLength - 1)].Average();

    /// <summary>Mean loss over the second copy's predictions of its tokens 1..L−1 (those induction can copy).</summary>
    public float SecondHalfLoss => LossByPosition[BlockLength..].Average();

    public static RepeatedSequenceAnalysis Compute(HookedTransformer model, IReadOnlyList<InductionPair> rows, bool prependBos, int batchSize = 16, CancellationToken ct = default)
    {
        int L = rows[0].BlockLength;
        if (rows.Any(r => r.BlockLength != L)) throw new CircuitLensException("induction analysis: every row must have the same block length");
        int off = prependBos ? 1 : 0, T = 2 * L + off, NL = model.Config.NLayers, NH = model.Config.NHeads;
        var loss = new double[2 * L - 1];
        var induction = new double[NL, NH]; var previous = new double[NL, NH];
        for (int start = 0; start < rows.Count; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            var chunk = rows.Skip(start).Take(batchSize).ToList();
            var batch = TokenBatch.FromSequences(chunk.Select(r => prependBos ? [Tokenization.Gpt2Tokenizer.EndOfTextId, .. r.RepeatedIds] : r.RepeatedIds).ToList());
            var (run, cache) = model.RunWithCache(batch, name => name.EndsWith("attn.hook_pattern"), new ForwardOptions { Logits = LogitsMode.All });
            var logits = run.Logits!;
            int V = logits.Dim(2);
            var logProbs = new float[V];
            for (int b = 0; b < chunk.Count; b++)
            {
                var ids = chunk[b].RepeatedIds;
                for (int t = 0; t < 2 * L - 1; t++)
                {
                    var row = logits.Slice(b, t + off);
                    float max = TensorPrimitives.Max(row);
                    double sumExp = 0;
                    for (int v = 0; v < V; v++) sumExp += Math.Exp(row[v] - max);
                    loss[t] += -(row[ids[t + 1]] - max - Math.Log(sumExp));
                }
                for (int l = 0; l < NL; l++)
                {
                    var pattern = cache[HookPoint.Pattern, l];   // (B,NH,T,T)
                    for (int h = 0; h < NH; h++)
                    {
                        double ind = 0, prev = 0;
                        for (int q = L; q < 2 * L; q++) ind += pattern[b, h, q + off, q + off - (L - 1)];
                        for (int q = 1; q < 2 * L; q++) prev += pattern[b, h, q + off, q + off - 1];
                        induction[l, h] += ind / L; previous[l, h] += prev / (2 * L - 1);
                    }
                }
            }
        }
        var ti = Tensor.Zeros(NL, NH); var tp = Tensor.Zeros(NL, NH);
        for (int l = 0; l < NL; l++) for (int h = 0; h < NH; h++) { ti[l, h] = (float)(induction[l, h] / rows.Count); tp[l, h] = (float)(previous[l, h] / rows.Count); }
        return new RepeatedSequenceAnalysis(L, loss.Select(x => (float)(x / rows.Count)).ToArray(), ti, tp);
    }
}
