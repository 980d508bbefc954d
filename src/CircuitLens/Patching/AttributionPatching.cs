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
        // several chunks: pairs sorted by length, so each chunk pads only to its own longest pair
        var order = Enumerable.Range(0, total).ToArray();
        if (chunkSize < total) order = order.OrderBy(data.Length).ToArray();

        for (int start = 0; start < total; start += chunkSize)
        {
            var pairs = order[start..Math.Min(start + chunkSize, total)];
            var chunk = pairs.Length == total && chunkSize >= total ? data : Pick(data, pairs);
            var (corruptRun, corruptCache) = model.RunWithCache(chunk.Corrupt, name => needed.Contains(name) || Gpt2Backward.NeedsInCache(name, cfg.NLayers), options);
            var chunkCorruptLd = LogitDiff.Compute(corruptRun.Logits!, chunk.AnswerIds, chunk.WrongIds);
            // activations before a pair's first difference are the same in both runs: the clean run starts there
            // (earlier keys and values from the corrupted cache) and no gradient is needed before it
            var first = FirstDifferingRows(chunk);
            var (cleanCache, chunkCleanLd) = CleanSuffixRun(model, chunk, corruptCache, first, needed);
            for (int b = 0; b < pairs.Length; b++) { cleanLd[pairs[b]] = chunkCleanLd[b]; corruptLd[pairs[b]] = chunkCorruptLd[b]; }

            var grads = Gpt2Backward.LogitDiffGradients(model, chunk.Corrupt, corruptCache, chunk.AnswerIds, chunk.WrongIds, needed.Contains, first);
            for (int i = 0; i < sweeps.Count; i++)
                Fill(outputs[i], pairs, sweeps[i], cfg, chunk.Corrupt, cleanCache, corruptCache, grads, chunkCorruptLd, first);
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
        var rows = Enumerable.Range(0, batch.BatchSize).ToArray();
        var firstRows = rows.Select(batch.PadLeft).ToArray();
        Fill(output, rows, sweep, config, batch, clean, corrupt, gradients, corruptLd, firstRows);
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

    // The clean run of rows first[b].. of each pair: the needed activations there (zero before; in the last layer
    // attn_out and mlp_out only at the final row, the only one with a gradient) and the clean logit difference.
    private static (ActivationCache Clean, float[] CleanLd) CleanSuffixRun(HookedTransformer model, PatchingBatch chunk,
        ActivationCache corruptCache, int[] first, HashSet<string> needed)
    {
        var cfg = model.Config;
        int T = chunk.SeqLen, C = cfg.DModel, H = cfg.NHeads;
        var runner = new SuffixRunner(model.Weights, chunk, corruptCache);
        var vs = new SuffixRunner.Variants();
        for (int b = 0; b < chunk.Count; b++) vs.Add(b, first[b], T);

        var x = runner.Residual(vs);
        var wte = model.Weights.Read(model.Weights.TokenEmbedding);
        var wpe = model.Weights.Read(model.Weights.PositionEmbedding);
        for (int b = 0; b < chunk.Count; b++)
            for (int t = first[b]; t < T; t++)
            {
                int id = chunk.Clean.Ids[b * T + t];
                if ((uint)id >= (uint)cfg.VocabSize) throw new CircuitLensException($"token id {id} is outside the vocabulary (size {cfg.VocabSize})");
                var row = x.Slice((vs.RowOffset[b] + t - first[b]) * C, C);
                TensorPrimitives.Add(wte.Slice(id * C, C), wpe.Slice(chunk.Clean.PositionId(b, t) * C, C), row);
            }

        var clean = new ActivationCache();
        runner.Recorder = (point, layer, variants, rows, stride) =>
        {
            string name = HookNames.Name(point, layer);
            if (!needed.Contains(name)) return;
            if (!clean.TryGet(name, out var full)) clean.Set(name, full = Tensor.Zeros(corruptCache[name].Shape));
            for (int v = 0; v < variants.Count; v++)
            {
                int b = variants.Pair[v], s = variants.Start[v], r0 = variants.RowOffset[v];
                for (int t = s; t < T; t++)
                {
                    var src = rows.Slice((r0 + t - s) * stride);
                    if (point == HookPoint.Pattern)   // (NH,T) per row into (B,NH,T,T)
                        for (int h = 0; h < H; h++) src.Slice(h * T, T).CopyTo(full.Slice(b, h, t));
                    else src.Slice(0, C).CopyTo(full.Slice(b, t));
                }
            }
        };
        var cleanLd = runner.RunFromResidPre(vs, 0);
        return (clean, cleanLd);
    }

    // per pair, the padded position of the first token where clean and corrupted differ (the last position when none does)
    private static int[] FirstDifferingRows(PatchingBatch chunk) =>
        Enumerable.Range(0, chunk.Count).Select(b => Math.Min(chunk.PadLeft(b) + chunk.FirstDifference[b], chunk.SeqLen - 1)).ToArray();

    // the given pairs as their own batch, padded to their own longest pair
    private static PatchingBatch Pick(PatchingBatch data, int[] pairs) => new(
        pairs.Select(i => data.Clean.Row(i).ToArray()).ToList(), pairs.Select(i => data.Corrupt.Row(i).ToArray()).ToList(),
        pairs.Select(i => data.AnswerIds[i]).ToArray(), pairs.Select(i => data.WrongIds[i]).ToArray());

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

    // writes row outputRows[b] of output for each example b of batch; activations before firstRow[b] (padded) do not differ
    private static void Fill(Tensor output, int[] outputRows, Sweep sweep, Gpt2Config cfg, TokenBatch batch,
        ActivationCache clean, ActivationCache corrupt, ActivationGradients grads, float[] corruptLd, int[] firstRow)
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
                int row = outputRows[b], pad = batch.PadLeft(b), first = firstRow[b];
                float baseLd = corruptLd[b];
                if (sweep.Point == HookPoint.Pattern)
                {
                    for (int h = 0; h < H; h++)
                        output[row, l, h] = baseLd + Attribution(c, x, g, ((b * H + h) * T + first) * T, (T - first) * T, scratch);
                }
                else if (sweep.Axes == SweepAxes.LayerPos)
                {
                    int width = c.Length / (B * T); // C, or NH·HS for head activations summed over heads
                    for (int t = pad; t < first; t++) output[row, l, t - pad] = baseLd;
                    for (int t = first; t < T; t++)
                        output[row, l, t - pad] = baseLd + Attribution(c, x, g, (b * T + t) * width, width, scratch);
                }
                else
                {
                    Array.Clear(perHead);
                    if (sweep.Axes == SweepAxes.LayerPosHead)
                        for (int t = pad; t < first; t++) for (int h = 0; h < H; h++) output[row, l, t - pad, h] = baseLd;
                    for (int t = first; t < T; t++)
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
