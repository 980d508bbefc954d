// Attribution patching (Nanda): a first-order estimate of every activation-patching sweep at once,
//   patched LD ≈ LD_corrupt + Σ (clean_act − corrupt_act) · ∂LD/∂act, the gradient taken on the corrupted run,
// from 2 forward passes (clean, corrupted, with caches) and 1 backward pass. The results are raw
// "patched logit difference" estimates, laid out like the exact sweeps so the two compare directly.
// It does not normalise scores and does not run exact patching; it is only as good as the linear
// approximation (weak on the residual stream, MLP0 and saturated attention).
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Patching;

/// <summary>Estimated patched logit differences by sweep name, and the two runs' own logit differences.</summary>
public sealed record AttributionResult(IReadOnlyDictionary<string, Tensor> Sweeps, float[] CleanLogitDiff, float[] CorruptLogitDiff);

public static class AttributionPatching
{
    /// <summary>Per [batch, layer, head]: one head's output (z), query, key, value at every position, or its pattern.</summary>
    public const string HeadZ = "head-z", HeadQ = "head-q", HeadK = "head-k", HeadV = "head-v", HeadPattern = "head-pattern";
    /// <summary>Per [batch, layer, pos]: the residual stream before a block, the attention output, the MLP output.</summary>
    public const string ResidPre = "resid-pre", AttnOut = "attn-out", MlpOut = "mlp-out";
    /// <summary>Per [batch, layer, pos, head]: one head's output at one position.</summary>
    public const string HeadZByPos = "head-z-by-pos";

    public static IReadOnlyList<string> SweepNames { get; } = [HeadZ, HeadQ, HeadK, HeadV, HeadPattern, ResidPre, AttnOut, MlpOut, HeadZByPos];

    /// <summary>
    /// Attribution estimates for each pair (clean row b, corrupted row b; equal lengths) of every sweep in
    /// <paramref name="sweeps"/> (all when null). Positions count the real tokens of each example; positions past an
    /// example's length are NaN. The batch runs in chunks of <paramref name="chunkSize"/> examples to bound memory.
    /// </summary>
    public static AttributionResult Run(HookedTransformer model, TokenBatch clean, TokenBatch corrupt, int[] answerIds, int[] wrongIds,
        IReadOnlyCollection<string>? sweeps = null, int chunkSize = 64)
    {
        sweeps ??= SweepNames;
        CheckSweeps(sweeps);
        if (clean.BatchSize != corrupt.BatchSize)
            throw new CircuitLensException($"clean batch has {clean.BatchSize} prompts but the corrupted batch has {corrupt.BatchSize}");
        for (int b = 0; b < clean.BatchSize; b++)
            if (clean.Lengths[b] != corrupt.Lengths[b])
                throw new CircuitLensException($"pair {b}: clean prompt has {clean.Lengths[b]} tokens but the corrupted one has {corrupt.Lengths[b]}; attribution needs equal lengths");
        if (answerIds.Length != clean.BatchSize || wrongIds.Length != clean.BatchSize)
            throw new CircuitLensException($"need one answer and one wrong token per pair: {clean.BatchSize} pairs, got {answerIds.Length} answers and {wrongIds.Length} wrong tokens");
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);

        int total = clean.BatchSize;
        var outputs = Allocate(model.Config, sweeps, total, clean.SeqLen);
        var cleanLd = new float[total];
        var corruptLd = new float[total];
        for (int start = 0; start < total; start += chunkSize)
        {
            int count = Math.Min(chunkSize, total - start);
            var cleanChunk = Rows(clean, start, count);
            var corruptChunk = Rows(corrupt, start, count);
            var answers = answerIds.AsSpan(start, count).ToArray();
            var wrongs = wrongIds.AsSpan(start, count).ToArray();

            var needed = HookNamesFor(sweeps, model.Config.NLayers);
            var options = new ForwardOptions { Logits = LogitsMode.LastPosition };
            var (cleanRun, cleanCache) = model.RunWithCache(cleanChunk, needed.Contains, options);
            var (corruptRun, corruptCache) = model.RunWithCache(corruptChunk,
                name => needed.Contains(name) || Gpt2Backward.NeedsInCache(name, model.Config.NLayers), options);
            LogitDiff(cleanRun.Logits!, answers, wrongs).CopyTo(cleanLd, start);
            var chunkCorruptLd = LogitDiff(corruptRun.Logits!, answers, wrongs);
            chunkCorruptLd.CopyTo(corruptLd, start);

            var grads = Gpt2Backward.LogitDiffGradients(model, corruptChunk, corruptCache, answers, wrongs, needed.Contains);
            Fill(outputs, start, model.Config, corruptChunk, cleanCache, corruptCache, grads, chunkCorruptLd);
        }
        return new AttributionResult(outputs, cleanLd, corruptLd);
    }

    /// <summary>
    /// The estimates from activations already computed: <paramref name="clean"/> and <paramref name="corrupt"/> caches
    /// of <paramref name="batch"/>-shaped runs, gradients of LD on the corrupted run, and the corrupted LD per example.
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> FromCaches(Gpt2Config config, TokenBatch batch, ActivationCache clean, ActivationCache corrupt,
        ActivationGradients gradients, float[] corruptLd, IReadOnlyCollection<string> sweeps)
    {
        CheckSweeps(sweeps);
        var outputs = Allocate(config, sweeps, batch.BatchSize, batch.SeqLen);
        Fill(outputs, 0, config, batch, clean, corrupt, gradients, corruptLd);
        return outputs;
    }

    /// <summary>The hook names whose activations (and gradients) the given sweeps need.</summary>
    public static HashSet<string> HookNamesFor(IReadOnlyCollection<string> sweeps, int nLayers)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sweep in sweeps)
            for (int l = 0; l < nLayers; l++) names.Add(HookNames.Name(PointOf(sweep), l));
        return names;
    }

    private static HookPoint PointOf(string sweep) => sweep switch
    {
        HeadZ or HeadZByPos => HookPoint.Z,
        HeadQ => HookPoint.Q,
        HeadK => HookPoint.K,
        HeadV => HookPoint.V,
        HeadPattern => HookPoint.Pattern,
        ResidPre => HookPoint.ResidPre,
        AttnOut => HookPoint.AttnOut,
        MlpOut => HookPoint.MlpOut,
        _ => throw new CircuitLensException($"unknown sweep '{sweep}' (known: {string.Join(", ", SweepNames)})"),
    };

    private static void CheckSweeps(IReadOnlyCollection<string> sweeps)
    {
        foreach (var s in sweeps) _ = PointOf(s);
    }

    private static Dictionary<string, Tensor> Allocate(Gpt2Config cfg, IReadOnlyCollection<string> sweeps, int batchSize, int positions)
    {
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var sweep in sweeps)
        {
            var t = sweep switch
            {
                HeadZByPos => Tensor.Zeros(batchSize, cfg.NLayers, positions, cfg.NHeads),
                ResidPre or AttnOut or MlpOut => Tensor.Zeros(batchSize, cfg.NLayers, positions),
                _ => Tensor.Zeros(batchSize, cfg.NLayers, cfg.NHeads),
            };
            if (sweep is HeadZByPos or ResidPre or AttnOut or MlpOut) t.Span.Fill(float.NaN); // positions past an example's end stay NaN
            outputs[sweep] = t;
        }
        return outputs;
    }

    // writes rows [rowOffset, rowOffset + batch.BatchSize) of every output
    private static void Fill(IReadOnlyDictionary<string, Tensor> outputs, int rowOffset, Gpt2Config cfg, TokenBatch batch,
        ActivationCache clean, ActivationCache corrupt, ActivationGradients grads, float[] corruptLd)
    {
        int B = batch.BatchSize, T = batch.SeqLen, L = cfg.NLayers, H = cfg.NHeads, D = cfg.DHead, C = cfg.DModel;
        var delta = new float[Math.Max(C, T * T)];
        foreach (var (sweep, output) in outputs)
        {
            var point = PointOf(sweep);
            for (int l = 0; l < L; l++)
            {
                string name = HookNames.Name(point, l);
                var c = clean[name].Data; var x = corrupt[name].Data; var g = grads[name].Data;
                for (int b = 0; b < B; b++)
                {
                    int row = rowOffset + b, pad = batch.PadLeft(b);
                    float baseLd = corruptLd[b];
                    switch (sweep)
                    {
                        case HeadPattern:
                            for (int h = 0; h < H; h++)
                            {
                                int o = (b * H + h) * T * T;
                                output[row, l, h] = baseLd + Attribution(c, x, g, o, T * T, delta);
                            }
                            break;
                        case ResidPre or AttnOut or MlpOut:
                            for (int t = pad; t < T; t++)
                                output[row, l, t - pad] = baseLd + Attribution(c, x, g, (b * T + t) * C, C, delta);
                            break;
                        default: // (B,T,H,D) head activations
                            var perHead = new double[H];
                            for (int t = pad; t < T; t++)
                                for (int h = 0; h < H; h++)
                                {
                                    double a = Attribution(c, x, g, ((b * T + t) * H + h) * D, D, delta);
                                    perHead[h] += a;
                                    if (sweep == HeadZByPos) output[row, l, t - pad, h] = baseLd + (float)a;
                                }
                            if (sweep != HeadZByPos)
                                for (int h = 0; h < H; h++) output[row, l, h] = baseLd + (float)perHead[h];
                            break;
                    }
                }
            }
        }
    }

    // Σ (clean − corrupt)·grad over data[offset, offset+length)
    private static float Attribution(float[] clean, float[] corrupt, float[] grad, int offset, int length, float[] scratch)
    {
        var d = scratch.AsSpan(0, length);
        TensorPrimitives.Subtract(clean.AsSpan(offset, length), corrupt.AsSpan(offset, length), d);
        return TensorPrimitives.Dot(d, grad.AsSpan(offset, length));
    }

    private static float[] LogitDiff(Tensor lastLogits, int[] answers, int[] wrongs)
    {
        var ld = new float[answers.Length];
        for (int b = 0; b < ld.Length; b++) ld[b] = lastLogits[b, 0, answers[b]] - lastLogits[b, 0, wrongs[b]];
        return ld;
    }

    private static TokenBatch Rows(TokenBatch batch, int start, int count)
    {
        if (start == 0 && count == batch.BatchSize) return batch;
        var rows = new List<int[]>(count);
        for (int b = start; b < start + count; b++) rows.Add(batch.Row(b).ToArray());
        return TokenBatch.FromSequences(rows);
    }
}
