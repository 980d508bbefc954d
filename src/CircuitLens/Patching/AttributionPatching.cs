// Attribution patching (Nanda): a first-order estimate of activation-patching sweeps, all at once,
//   patched LD ≈ LD_corrupt + Σ (clean_act − corrupt_act) · ∂LD/∂act, the gradient taken on the corrupted run,
// from 2 forward passes (clean and corrupted, with caches) and 1 backward pass per chunk of pairs.
// Results are raw "patched logit difference" estimates in the exact sweeps' PatchingResult layout, so
// the two compare directly. It runs no exact patching; it is only as good as the linear approximation
// (weak on the residual stream, MLP0 and saturated attention).
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Patching;

public static class AttributionPatching
{
    /// <summary>
    /// Attribution estimates of every sweep in <paramref name="sweeps"/> for all pairs of <paramref name="data"/>.
    /// Positions count each pair's real tokens; positions past a pair's length are NaN. Pairs run in chunks of
    /// <paramref name="chunkSize"/> to bound the memory of the caches and gradients.
    /// </summary>
    public static IReadOnlyList<PatchingResult> Run(HookedTransformer model, PatchingBatch data, IReadOnlyList<Sweep> sweeps, int chunkSize = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        if (sweeps.Count == 0) throw new CircuitLensException("no sweep given");
        var cfg = model.Config;
        int total = data.Count;
        var outputs = sweeps.Select(s => Allocate(cfg, s, total, data.SeqLen)).ToArray();
        var cleanLd = new float[total];
        var corruptLd = new float[total];
        var needed = HookNamesFor(sweeps, cfg.NLayers);
        var options = new ForwardOptions { Logits = LogitsMode.LastPosition };

        for (int start = 0; start < total; start += chunkSize)
        {
            var chunk = start == 0 && chunkSize >= total ? data : data.Slice(start, Math.Min(chunkSize, total - start));
            var (cleanRun, cleanCache) = model.RunWithCache(chunk.Clean, needed.Contains, options);
            var (corruptRun, corruptCache) = model.RunWithCache(chunk.Corrupt, name => needed.Contains(name) || Gpt2Backward.NeedsInCache(name, cfg.NLayers), options);
            LogitDiff.Compute(cleanRun.Logits!, chunk.AnswerIds, chunk.WrongIds).CopyTo(cleanLd, start);
            var chunkCorruptLd = LogitDiff.Compute(corruptRun.Logits!, chunk.AnswerIds, chunk.WrongIds);
            chunkCorruptLd.CopyTo(corruptLd, start);

            var grads = Gpt2Backward.LogitDiffGradients(model, chunk.Corrupt, corruptCache, chunk.AnswerIds, chunk.WrongIds, needed.Contains);
            for (int i = 0; i < sweeps.Count; i++)
                Fill(outputs[i], start, sweeps[i], cfg, chunk.Corrupt, cleanCache, corruptCache, grads, chunkCorruptLd);
        }
        return sweeps.Select((s, i) => new PatchingResult(s, outputs[i], cleanLd, corruptLd)).ToList();
    }

    public static PatchingResult Run(HookedTransformer model, PatchingBatch data, Sweep sweep, int chunkSize = 64) =>
        Run(model, data, [sweep], chunkSize)[0];

    /// <summary>
    /// The estimate of one sweep from activations already computed: caches of a clean and a corrupted run of
    /// <paramref name="batch"/>'s shape, ∂LD/∂activation on the corrupted run, and the corrupted LD per example.
    /// </summary>
    public static Tensor FromCaches(Gpt2Config config, Sweep sweep, TokenBatch batch, ActivationCache clean, ActivationCache corrupt,
        ActivationGradients gradients, float[] corruptLd)
    {
        var output = Allocate(config, sweep, batch.BatchSize, batch.SeqLen);
        Fill(output, 0, sweep, config, batch, clean, corrupt, gradients, corruptLd);
        return output;
    }

    /// <summary>The hook names whose activations (and gradients) the sweeps need.</summary>
    public static HashSet<string> HookNamesFor(IEnumerable<Sweep> sweeps, int nLayers)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sweep in sweeps)
            for (int l = 0; l < nLayers; l++) names.Add(HookNames.Name(sweep.Point, l));
        return names;
    }

    private static Tensor Allocate(Gpt2Config cfg, Sweep sweep, int batchSize, int positions)
    {
        var t = sweep.Axes switch
        {
            SweepAxes.LayerHead => Tensor.Zeros(batchSize, cfg.NLayers, cfg.NHeads),
            SweepAxes.LayerPos => Tensor.Zeros(batchSize, cfg.NLayers, positions),
            _ => Tensor.Zeros(batchSize, cfg.NLayers, positions, cfg.NHeads),
        };
        if (sweep.PerPosition) t.Span.Fill(float.NaN); // positions past a pair's length stay NaN
        return t;
    }

    // writes rows [rowOffset, rowOffset + batch.BatchSize) of output
    private static void Fill(Tensor output, int rowOffset, Sweep sweep, Gpt2Config cfg, TokenBatch batch,
        ActivationCache clean, ActivationCache corrupt, ActivationGradients grads, float[] corruptLd)
    {
        int B = batch.BatchSize, T = batch.SeqLen, H = cfg.NHeads, D = cfg.DHead, C = cfg.DModel;
        bool headActivation = sweep.Point is HookPoint.Z or HookPoint.Q or HookPoint.K or HookPoint.V; // (B,T,NH,HS)
        bool supported = sweep.Point == HookPoint.Pattern ? sweep.Axes == SweepAxes.LayerHead : headActivation || sweep.Axes == SweepAxes.LayerPos;
        if (!supported) throw new NotSupportedException($"attribution does not support sweep '{sweep.Name}' ({sweep.Point} by {sweep.Axes})");
        var scratch = new float[Math.Max(C, T * T)];
        var perHead = new double[H];
        for (int l = 0; l < cfg.NLayers; l++)
        {
            string name = HookNames.Name(sweep.Point, l);
            var c = clean[name].Data; var x = corrupt[name].Data; var g = grads[name].Data;
            for (int b = 0; b < B; b++)
            {
                int row = rowOffset + b, pad = batch.PadLeft(b);
                float baseLd = corruptLd[b];
                if (sweep.Point == HookPoint.Pattern)
                {
                    for (int h = 0; h < H; h++)
                        output[row, l, h] = baseLd + Attribution(c, x, g, (b * H + h) * T * T, T * T, scratch);
                }
                else if (sweep.Axes == SweepAxes.LayerPos)
                {
                    int width = c.Length / (B * T); // C, or NH·HS for head activations summed over heads
                    for (int t = pad; t < T; t++)
                        output[row, l, t - pad] = baseLd + Attribution(c, x, g, (b * T + t) * width, width, scratch);
                }
                else
                {
                    Array.Clear(perHead);
                    for (int t = pad; t < T; t++)
                        for (int h = 0; h < H; h++)
                        {
                            float a = Attribution(c, x, g, ((b * T + t) * H + h) * D, D, scratch);
                            perHead[h] += a;
                            if (sweep.Axes == SweepAxes.LayerPosHead) output[row, l, t - pad, h] = baseLd + a;
                        }
                    if (sweep.Axes == SweepAxes.LayerHead)
                        for (int h = 0; h < H; h++) output[row, l, h] = baseLd + (float)perHead[h];
                }
            }
        }
    }

    // Σ (clean − corrupt)·grad over [offset, offset+length)
    private static float Attribution(float[] clean, float[] corrupt, float[] grad, int offset, int length, float[] scratch)
    {
        var delta = scratch.AsSpan(0, length);
        TensorPrimitives.Subtract(clean.AsSpan(offset, length), corrupt.AsSpan(offset, length), delta);
        return TensorPrimitives.Dot(delta, grad.AsSpan(offset, length));
    }
}
