// Attribution patching (Nanda): a first-order estimate of activation-patching sweeps, all at once,
//   patched M ≈ M_corrupt + Σ (clean_act − corrupt_act) · ∂M/∂act, the gradient taken on the corrupted run,
// M the batch's metric (its gradient at the final residual seeds the model's backward pass),
// from a corrupted forward pass, a clean one and a backward pass per chunk of pairs. Causal attention makes
// most of that work unnecessary: before a pair's first differing token both runs are identical (Δact = 0,
// so those attributions are exactly 0), so the clean run and the backward pass cover only the rows from
// there on (the clean run reads the earlier keys/values from the corrupted run), and no run computes pads
// (SuffixRunner stacks each pair's real rows).
// Results are raw "patched metric" estimates in the exact sweeps' PatchingResult layout, so
// the two compare directly. It runs no exact patching; it is only as good as the linear approximation
// (weak on the residual stream, MLP0 and saturated attention).
// On an ILGPU device (model.To(cuda|ilgpu-cpu)) each chunk's runs, backward pass and per-component sums run
// there instead (DeviceAttributionSums); either way the sums go through the one sweep layout here (Fill).
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
    /// <paramref name="chunkSize"/> to bound the memory of the caches and gradients (about 13 MB a pair for GPT-2 small at ~20 tokens).
    /// </summary>
    public static IReadOnlyList<PatchingResult> Run(HookedTransformer model, PatchingBatch data, IReadOnlyList<Sweep> sweeps, int chunkSize = 128)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        if (sweeps.Count == 0) throw new CircuitLensException("no sweep given");
        var cfg = model.Config;
        foreach (var s in sweeps)
            if (!Supports(s)) throw new CircuitLensException($"attribution patching does not support sweep '{s.Name}' ({s.Point} by {s.Axes})");
        data.Metric.Targets.CheckVocabulary(cfg.VocabSize);
        int total = data.Count;
        var outputs = sweeps.Select(s => Allocate(cfg, s, total, data.SeqLen)).ToArray();
        var cleanLd = new float[total];
        var corruptLd = new float[total];
        var needed = HookNamesFor(sweeps, cfg.NLayers);
        // several chunks: pairs sorted by length, so the (B,T,…) caches of a chunk pad only to its own longest pair
        var order = Enumerable.Range(0, total).ToArray();
        if (chunkSize < total) order = order.OrderBy(data.Length).ToArray();

        for (int start = 0; start < total; start += chunkSize)
        {
            var pairs = order[start..Math.Min(start + chunkSize, total)];
            var chunk = pairs.Length == total && chunkSize >= total ? data : data.Pick(pairs);
            // the corrupted run of every real token, then the clean run from each pair's first difference on: the
            // activations before it are the same in both runs (earlier keys and values come from the corrupted run),
            // so no gradient is needed there either
            var first = FirstDifferingRows(chunk);
            float[] chunkCleanLd, chunkCorruptLd;
            IAttributionSums sums;
            IDisposable? onDevice = null;
            if (model.IlgpuBackend is { } device)
            {
                // on an ILGPU device: both runs, the backward pass and the sums stay there (DeviceAttributionSums)
                var d = DeviceAttributionSums.Run(device, chunk, needed, first, out chunkCleanLd, out chunkCorruptLd);
                sums = d; onDevice = d;
            }
            else
            {
                var starts = Enumerable.Range(0, chunk.Count).Select(chunk.PadLeft).ToArray();
                var rows = new CompactRows(first, chunk.SeqLen);
                var (corruptCache, corruptMetric) = RunRows(model, chunk, chunk.Corrupt, starts, first, null, name => needed.Contains(name) || Gpt2Backward.NeedsInCache(name, cfg.NLayers),
                    new PaddedRows(chunk.Count, chunk.SeqLen));
                var (cleanCache, cleanMetric) = RunRows(model, chunk, chunk.Clean, first, first, corruptCache, needed.Contains, rows);
                var dFinal = chunk.Metric.FinalResidualGradient(model.Weights, corruptCache[HookPoint.ResidPost, cfg.NLayers - 1]);
                var grads = Gpt2Backward.Gradients(model, chunk.Corrupt, corruptCache, dFinal, needed.Contains, rows);
                (chunkCleanLd, chunkCorruptLd) = (cleanMetric, corruptMetric);
                sums = new HostAttributionSums(cfg, chunk.Corrupt, cleanCache, rows, corruptCache, grads, rows, first);
            }
            using (onDevice)
            {
                for (int b = 0; b < pairs.Length; b++) { cleanLd[pairs[b]] = chunkCleanLd[b]; corruptLd[pairs[b]] = chunkCorruptLd[b]; }
                for (int i = 0; i < sweeps.Count; i++) Fill(outputs[i], pairs, sweeps[i], cfg, chunk.Corrupt, sums, chunkCorruptLd, first);
            }
        }
        return sweeps.Select((s, i) => new PatchingResult(s, outputs[i], cleanLd, corruptLd, data.Metric.Name)).ToList();
    }

    public static PatchingResult Run(HookedTransformer model, PatchingBatch data, Sweep sweep, int chunkSize = 128) =>
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
        var full = new PaddedRows(batch.BatchSize, batch.SeqLen);
        Fill(output, rows, sweep, config, batch, new HostAttributionSums(config, batch, clean, full, corrupt, gradients, full, firstRows), corruptLd, firstRows);
        return output;
    }

    /// <summary>The sweeps attribution estimates: every sweep of <see cref="Sweep.All"/> (at any layer selection).</summary>
    public static bool Supports(Sweep sweep) => (sweep.Axes, sweep.Point) switch
    {
        (SweepAxes.LayerHead or SweepAxes.LayerPosHead, HookPoint.Z or HookPoint.Q or HookPoint.K or HookPoint.V or HookPoint.Pattern) => true,
        (SweepAxes.LayerPos, HookPoint.ResidPre or HookPoint.ResidMid or HookPoint.AttnOut or HookPoint.MlpOut) => true,
        (SweepAxes.LayerNeuron, HookPoint.MlpPost) => true,
        _ => false,
    };

    /// <summary>The hook names whose activations (and gradients) the sweeps need.</summary>
    public static HashSet<string> HookNamesFor(IEnumerable<Sweep> sweeps, int nLayers)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sweep in sweeps)
            foreach (int l in sweep.Layers ?? Enumerable.Range(0, nLayers).ToArray()) names.Add(HookNames.Name(sweep.Point, l));
        return names;
    }

    // Runs rows start[b]..T−1 of each pair's prompt in tokens, stacked without padding (SuffixRunner), and returns the
    // LD per pair and the activations whose names pass record as (B,T,…) tensors: k and v at every row run, the others
    // only from row recordFrom[b] on; zero elsewhere and, in the last layer from attn_out on, at all but the final row.
    // Keys and values before start[b] come from prefix; with no prefix every start is a pair's first real token, so
    // none is read (the run records its own k and v). Activations are stored in `layout`: PaddedRows, or CompactRows of
    // start (the rows run, pattern (R,NH,T)), so nothing is allocated for rows that were not run.
    private static (ActivationCache Cache, float[] Ld) RunRows(HookedTransformer model, PatchingBatch chunk, TokenBatch tokens,
        int[] start, int[] recordFrom, ActivationCache? prefix, Func<string, bool> record, RowLayout layout)
    {
        var cfg = model.Config;
        int B = chunk.Count, T = chunk.SeqLen, C = cfg.DModel, H = cfg.NHeads, D = cfg.DHead, M = cfg.DMlp;
        if (T > cfg.NCtx) throw new CircuitLensException($"sequence of {T} tokens is longer than the model's context ({cfg.NCtx})");
        var cache = new ActivationCache();
        var runner = new SuffixRunner(model.Weights, chunk, prefix ?? cache);
        var vs = new SuffixRunner.Variants();
        for (int b = 0; b < B; b++) vs.Add(b, start[b], T);

        var x = runner.Residual(vs);
        var wte = model.Weights.Read(model.Weights.TokenEmbedding);
        var wpe = model.Weights.Read(model.Weights.PositionEmbedding);
        for (int b = 0; b < B; b++)
            for (int t = start[b]; t < T; t++)
            {
                int id = tokens.Ids[b * T + t];
                if ((uint)id >= (uint)cfg.VocabSize) throw new CircuitLensException($"token id {id} is outside the vocabulary (size {cfg.VocabSize})");
                TensorPrimitives.Add(wte.Slice(id * C, C), wpe.Slice(tokens.PositionId(b, t) * C, C), x.Slice((vs.RowOffset[b] + t - start[b]) * C, C));
            }

        runner.Recorder = (point, layer, variants, rows, stride) =>
        {
            string name = HookNames.Name(point, layer);
            if (!record(name)) return;
            if (!cache.TryGet(name, out var stored))
            {
                int[] shape = point switch
                {
                    HookPoint.Pattern => layout.PatternShape(H),
                    HookPoint.Q or HookPoint.K or HookPoint.V or HookPoint.Z => layout.Shape(H, D),
                    HookPoint.MlpPre or HookPoint.MlpPost => layout.Shape(M),
                    _ => layout.Shape(C),
                };
                cache.Set(name, stored = Tensor.Zeros(shape));
            }
            var dst = stored.Data;
            int width = point is HookPoint.MlpPre or HookPoint.MlpPost ? M : C;
            for (int v = 0; v < variants.Count; v++)
            {
                int b = variants.Pair[v], s = variants.Start[v], r0 = variants.RowOffset[v];
                int from = point is HookPoint.K or HookPoint.V ? s : Math.Max(s, recordFrom[b]);
                for (int t = from; t < T; t++)
                {
                    var src = rows.Slice((r0 + t - s) * stride);
                    if (point == HookPoint.Pattern)   // (NH,T) per row: head h's weights go to PatternRow(b,h,t)
                        for (int h = 0; h < H; h++) src.Slice(h * T, T).CopyTo(dst.AsSpan(layout.PatternRow(b, h, t, H), T));
                    else src.Slice(0, width).CopyTo(dst.AsSpan(layout.Row(b, t) * width, width));
                }
            }
        };
        return (cache, runner.RunFromResidPre(vs, 0));
    }

    // per pair, the padded position of the first token where clean and corrupted differ (the last position when none does)
    private static int[] FirstDifferingRows(PatchingBatch chunk) =>
        Enumerable.Range(0, chunk.Count).Select(b => Math.Min(chunk.PadLeft(b) + chunk.FirstDifference[b], chunk.SeqLen - 1)).ToArray();


    private static Tensor Allocate(Gpt2Config cfg, Sweep sweep, int batchSize, int positions)
    {
        var t = Tensor.Zeros(sweep.Shape(cfg, batchSize, positions));
        if (sweep.PerPosition) t.Span.Fill(float.NaN); // positions past a pair's length stay NaN
        return t;
    }

    // writes row outputRows[b] of output for each example b of batch from the sums of each layer's activation; activations
    // before firstRow[b] (padded) do not differ, so per-position outputs there are the corrupted metric itself. The sweep's
    // layout (which sums, which axes, NaN past a pair's length) is decided here once, for every engine that gives sums.
    private static void Fill(Tensor output, int[] outputRows, Sweep sweep, Gpt2Config cfg, TokenBatch batch, IAttributionSums sums,
        float[] corruptLd, int[] firstRow)
    {
        if (!Supports(sweep)) throw new CircuitLensException($"attribution patching does not support sweep '{sweep.Name}' ({sweep.Point} by {sweep.Axes})");
        int B = batch.BatchSize, T = batch.SeqLen;
        // segments of a row: one per head (z/q/k/v, and the pattern's per-head rows), per neuron, or the whole row (a position)
        int S = sweep.Axes switch { SweepAxes.LayerNeuron => cfg.DMlp, SweepAxes.LayerPos => 1, _ => cfg.NHeads };
        foreach (int layer in sweep.LayerList(cfg))
        {
            int l = sweep.LayerIndex(layer);   // the output's layer axis
            string name = HookNames.Name(sweep.Point, layer);
            if (sweep.Axes is SweepAxes.LayerHead or SweepAxes.LayerNeuron)
            {
                // each head (or neuron) summed over every position
                var total = sums.OverPositions(name, S);
                for (int b = 0; b < B; b++)
                    for (int s = 0; s < S; s++) output[outputRows[b], l, s] = corruptLd[b] + total[b * S + s];
                continue;
            }
            var perPosition = sums.PerPosition(name, S);
            for (int b = 0; b < B; b++)
            {
                int row = outputRows[b], pad = batch.PadLeft(b), first = firstRow[b];
                float baseLd = corruptLd[b];
                for (int t = pad; t < T; t++)
                    for (int s = 0; s < S; s++)
                    {
                        float value = t < first ? baseLd : baseLd + perPosition[(b * T + t) * S + s];
                        if (sweep.Axes == SweepAxes.LayerPos) output[row, l, t - pad] = value;
                        else output[row, l, t - pad, s] = value;
                    }
            }
        }
    }

    // The CPU engine's sums, from host caches: clean and the gradients (but for the pattern's, always (B,NH,T,T)) laid out
    // as given; corrupt is (B,T,…).
    private sealed class HostAttributionSums(Gpt2Config cfg, TokenBatch batch, ActivationCache clean, RowLayout cleanLayout,
        ActivationCache corrupt, ActivationGradients grads, RowLayout gradLayout, int[] firstRow) : IAttributionSums
    {
        private readonly PaddedRows _full = new(batch.BatchSize, batch.SeqLen);

        public float[] PerPosition(string name, int segments)
        {
            int B = batch.BatchSize, T = batch.SeqLen, H = cfg.NHeads;
            bool pattern = name.EndsWith(HookNames.Suffix(HookPoint.Pattern), StringComparison.Ordinal);
            int width = pattern ? 0 : Width(name), length = pattern ? T : width / segments;
            var c = clean[name].Data; var x = corrupt[name].Data; var g = grads[name].Data;
            var scratch = new float[Math.Max(length, 1)];
            var output = new float[B * T * segments];
            for (int b = 0; b < B; b++)
                for (int t = firstRow[b]; t < T; t++)
                    for (int s = 0; s < segments; s++)
                        output[(b * T + t) * segments + s] = pattern
                            // head s's pattern row at destination position t
                            ? Attribution(c, cleanLayout.PatternRow(b, s, t, H), x, _full.PatternRow(b, s, t, H), g, _full.PatternRow(b, s, t, H), T, scratch)
                            : Attribution(c, cleanLayout.Row(b, t) * width + s * length, x, _full.Row(b, t) * width + s * length,
                                g, gradLayout.Row(b, t) * width + s * length, length, scratch);
            return output;
        }

        public float[] OverPositions(string name, int segments)
        {
            int B = batch.BatchSize, T = batch.SeqLen;
            var perPosition = PerPosition(name, segments);
            var total = new double[segments];
            var output = new float[B * segments];
            for (int b = 0; b < B; b++)
            {
                Array.Clear(total);
                for (int t = firstRow[b]; t < T; t++)
                    for (int s = 0; s < segments; s++) total[s] += perPosition[(b * T + t) * segments + s];
                for (int s = 0; s < segments; s++) output[b * segments + s] = (float)total[s];
            }
            return output;
        }

        // the per-row width of a (…, width) activation: d_mlp for the MLP's hidden layer, else d_model
        private int Width(string name) => HookNames.TryParse(name, cfg.NLayers, out var point, out _) && point is HookPoint.MlpPre or HookPoint.MlpPost
            ? cfg.DMlp : cfg.DModel;
    }

    // Σ (clean − corrupt)·grad over length elements starting at each one's own offset
    private static float Attribution(float[] clean, int cleanOffset, float[] corrupt, int corruptOffset, float[] grad, int gradOffset, int length, float[] scratch)
    {
        var delta = scratch.AsSpan(0, length);
        TensorPrimitives.Subtract(clean.AsSpan(cleanOffset, length), corrupt.AsSpan(corruptOffset, length), delta);
        return TensorPrimitives.Dot(delta, grad.AsSpan(gradOffset, length));
    }
}
