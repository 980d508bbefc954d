// The fast exact activation-patching engine. Same numbers as ActivationPatching (tested), far less
// work: each patched run starts at the patched layer from the cached corrupted residual stream,
// recomputes only positions from the first one the patch can change (earlier keys/values come from
// the corrupted cache), batches all heads × pairs of a layer into large matrix products, and hands
// the batch's metric only each variant's final residual row (logit-diff needs two vocabulary rows of
// it; prob-diff one GEMM of those rows against the unembedding).
// On a device (model.Device ≠ cpu) the same preparation feeds DeviceSuffixRunner, which runs the stacked rows
// through the device block with the corrupted keys/values kept on the device; only final rows come back.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Patching;

public sealed record FastPatchingOptions
{
    /// <summary>Most stacked rows per batched block run: bounds memory and keeps GEMMs large.</summary>
    public int MaxRowsPerRun { get; init; } = 1536;
}

public static class FastActivationPatching
{
    public static PatchingResult Run(HookedTransformer model, PatchingBatch data, Sweep sweep, FastPatchingOptions? options = null,
        IProgress<PatchingProgress>? progress = null, CancellationToken ct = default) =>
        RunMany(model, data, [sweep], options, progress, ct)[0];

    /// <summary>Runs several sweeps on one batch, sharing the clean and corrupted caches.</summary>
    public static IReadOnlyList<PatchingResult> RunMany(HookedTransformer model, PatchingBatch data, IReadOnlyList<Sweep> sweeps,
        FastPatchingOptions? options = null, IProgress<PatchingProgress>? progress = null, CancellationToken ct = default)
    {
        options ??= new FastPatchingOptions();
        data.Metric.Targets.CheckVocabulary(model.Config.VocabSize);
        int L = model.Config.NLayers;
        foreach (var s in sweeps)
            if (!Supports(s)) throw new CircuitLensException($"the fast exact engine does not support sweep '{s.Name}' ({s.Point} by {s.Axes}); use --method plain");
        var cleanPoints = sweeps.Select(s => s.Point).ToHashSet();
        var corruptPoints = new HashSet<HookPoint> { HookPoint.ResidPre, HookPoint.K, HookPoint.V };
        foreach (var s in sweeps)
        {
            if (s.PerHead) { corruptPoints.Add(HookPoint.Z); corruptPoints.Add(HookPoint.Q); corruptPoints.Add(HookPoint.AttnOut); }
            if (s.Point == HookPoint.AttnOut) corruptPoints.Add(HookPoint.AttnOut);
            if (s.Point is HookPoint.MlpOut or HookPoint.MlpPost) { corruptPoints.Add(HookPoint.MlpOut); corruptPoints.Add(HookPoint.ResidMid); }
            if (s.Point is HookPoint.ResidMid or HookPoint.MlpPost) corruptPoints.Add(s.Point);
        }
        // no unembedding here: the metric reads the final residual rows it needs
        var noLogits = new ForwardOptions { Logits = LogitsMode.None };
        var (cleanRun, cleanCache) = model.RunWithCache(data.Clean, Filter(cleanPoints, L), noLogits);
        var (corruptRun, corruptCache) = model.RunWithCache(data.Corrupt, Filter(corruptPoints, L), noLogits);
        var cleanLd = data.Metric.FromFinalResidual(model.Weights, cleanRun.Residual);
        var corruptLd = data.Metric.FromFinalResidual(model.Weights, corruptRun.Residual);

        ISuffixRunner runner = model.IlgpuBackend is { } device
            ? new DeviceSuffixRunner(device.Block, model.Weights, data, corruptCache)
            : new SuffixRunner(model.Weights, data, corruptCache);
        try { return RunPlans(model, data, sweeps, options, progress, ct, runner, cleanCache, corruptCache, cleanLd, corruptLd); }
        finally { (runner as IDisposable)?.Dispose(); }
    }

    private static List<PatchingResult> RunPlans(HookedTransformer model, PatchingBatch data, IReadOnlyList<Sweep> sweeps, FastPatchingOptions options,
        IProgress<PatchingProgress>? progress, CancellationToken ct, ISuffixRunner runner, ActivationCache cleanCache, ActivationCache corruptCache,
        float[] cleanLd, float[] corruptLd)
    {
        var plans = sweeps.Select(s => new SweepPlan(s, data, model.Config)).ToList();
        long total = plans.Sum(p => p.VariantCount), done = 0;
        var results = new List<PatchingResult>();
        foreach (var plan in plans)
        {
            var patched = plan.NewResult(corruptLd);
            foreach (int layer in plan.Sweep.LayerList(model.Config))
            {
                var pending = plan.Variants(layer);
                for (int start = 0; start < pending.Count;)
                {
                    ct.ThrowIfCancellationRequested();
                    var vs = new SuffixRunner.Variants();
                    int end = start;
                    while (end < pending.Count && (vs.Count == 0 || vs.TotalRows + (data.SeqLen - pending[end].Start) <= options.MaxRowsPerRun))
                        vs.Add(pending[end].Pair, pending[end++].Start, data.SeqLen);
                    var group = pending.GetRange(start, end - start);
                    var ld = RunGroup(runner, vs, group, plan.Sweep, layer, data, model.Weights, cleanCache, corruptCache);
                    for (int i = 0; i < group.Count; i++) plan.Store(patched, group[i], layer, ld[i]);
                    done += group.Count;
                    progress?.Report(new PatchingProgress(plan.Sweep.Name, done, total));
                    start = end;
                }
            }
            results.Add(new PatchingResult(plan.Sweep, patched, cleanLd, corruptLd, data.Metric.Name));
        }
        return results;
    }

    /// <summary>The sweeps this engine runs: every sweep of <see cref="Sweep.All"/> (at any layer selection).</summary>
    public static bool Supports(Sweep sweep) => (sweep.Axes, sweep.Point) switch
    {
        (SweepAxes.LayerHead or SweepAxes.LayerPosHead, HookPoint.Z or HookPoint.Q or HookPoint.K or HookPoint.V or HookPoint.Pattern) => true,
        (SweepAxes.LayerPos, HookPoint.ResidPre or HookPoint.ResidMid or HookPoint.AttnOut or HookPoint.MlpOut) => true,
        (SweepAxes.LayerNeuron, HookPoint.MlpPost) => true,
        _ => false,
    };

    private static Func<string, bool> Filter(HashSet<HookPoint> points, int nLayers) =>
        name => HookNames.TryParse(name, nLayers, out var p, out _) && HookNames.IsLayerPoint(p) && points.Contains(p);

    // Fills the runner's residual (and z) rows with each variant's patched starting state, then runs it to the metric.
    private static float[] RunGroup(ISuffixRunner runner, SuffixRunner.Variants vs, List<Variant> group, Sweep sweep, int layer,
        PatchingBatch data, Gpt2Weights weights, ActivationCache clean, ActivationCache corrupt)
    {
        var cfg = weights.Config;
        int C = cfg.DModel, T = data.SeqLen, H = cfg.NHeads, D = cfg.DHead;
        var x = runner.Residual(vs);
        var residPre = corrupt[HookPoint.ResidPre, layer];
        for (int v = 0; v < vs.Count; v++)
        {
            int b = vs.Pair[v], s = vs.Start[v], rows = T - s, r0 = vs.RowOffset[v];
            residPre.Data.AsSpan((b * T + s) * C, rows * C).CopyTo(x.Slice(r0 * C, rows * C));
        }
        switch (sweep.Axes, sweep.Point)
        {
            case (SweepAxes.LayerPos, HookPoint.ResidPre):
                for (int v = 0; v < vs.Count; v++)
                    clean[HookPoint.ResidPre, layer].Slice(vs.Pair[v], vs.Start[v]).CopyTo(x.Slice(vs.RowOffset[v] * C, C));
                return runner.RunFromResidPre(vs, layer);

            case (SweepAxes.LayerPos, HookPoint.ResidMid):
                CopyRows(x, vs, corrupt[HookPoint.ResidMid, layer], T, C);
                for (int v = 0; v < vs.Count; v++)
                    clean[HookPoint.ResidMid, layer].Slice(vs.Pair[v], vs.Start[v]).CopyTo(x.Slice(vs.RowOffset[v] * C, C));
                return runner.RunFromResidMid(vs, layer);

            case (SweepAxes.LayerNeuron, HookPoint.MlpPost):
            {
                // resid_post = corrupted resid_mid + corrupted mlp_out + (clean − corrupted post_n)·W_out[n] at every row
                CopyRows(x, vs, corrupt[HookPoint.ResidMid, layer], T, C);
                AddRows(x, vs, corrupt[HookPoint.MlpOut, layer], T, C);
                var wout = weights.Read(weights.Layers[layer].MlpOutWeight);   // (d_mlp, C)
                var postClean = clean[HookPoint.MlpPost, layer]; var postCorrupt = corrupt[HookPoint.MlpPost, layer];
                for (int v = 0; v < vs.Count; v++)
                {
                    int b = vs.Pair[v], st = vs.Start[v], r0 = vs.RowOffset[v], n = group[v].C.Neuron;
                    for (int i = 0; i < T - st; i++)
                    {
                        float dPost = postClean[b, st + i, n] - postCorrupt[b, st + i, n];
                        var row = x.Slice((r0 + i) * C, C);
                        TensorPrimitives.MultiplyAdd(wout.Slice(n * C, C), dPost, row, row);
                    }
                }
                return runner.RunFromResidPre(vs, layer + 1);
            }

            case (SweepAxes.LayerPos, HookPoint.AttnOut):
                AddRows(x, vs, corrupt[HookPoint.AttnOut, layer], T, C, firstFrom: clean[HookPoint.AttnOut, layer]);
                return runner.RunFromResidMid(vs, layer);

            case (SweepAxes.LayerPos, HookPoint.MlpOut):
                CopyRows(x, vs, corrupt[HookPoint.ResidMid, layer], T, C);
                AddRows(x, vs, corrupt[HookPoint.MlpOut, layer], T, C, firstFrom: clean[HookPoint.MlpOut, layer]);
                return runner.RunFromResidPre(vs, layer + 1);

            default:
                // head sweeps: W_O is linear, so resid_mid = corrupted resid_mid + (patched z_h − corrupted z_h)·W_O[h]
                // (one head's 64-wide product per row instead of re-running the whole attention output)
                AddRows(x, vs, corrupt[HookPoint.AttnOut, layer], T, C);
                var zc = corrupt[HookPoint.Z, layer];
                Span<float> dz = stackalloc float[D];
                for (int v = 0; v < vs.Count; v++)
                {
                    int b = vs.Pair[v], s = vs.Start[v], r0 = vs.RowOffset[v], h = group[v].C.Head;
                    // one position patched: its key/value reach every later query; its query, pattern row or z only its own row
                    bool byPos = sweep.Axes == SweepAxes.LayerPosHead;
                    int patchedRows = byPos && sweep.Point is not (HookPoint.K or HookPoint.V) ? 1 : T - s;
                    for (int i = 0; i < patchedRows; i++)
                    {
                        PatchedHeadOutput(dz, sweep.Point, b, s + i, h, layer, data, cfg, clean, corrupt, only: byPos ? s : -1);
                        TensorPrimitives.Subtract(dz, zc.Slice(b, s + i, h), dz);
                        runner.AddHeadOutput(r0 + i, layer, h, dz);
                    }
                }
                return runner.RunFromResidMid(vs, layer);
        }
    }

    // x rows = source rows (each variant's rows from its start on)
    private static void CopyRows(Span<float> x, SuffixRunner.Variants vs, Tensor source, int T, int C)
    {
        for (int v = 0; v < vs.Count; v++)
        {
            int b = vs.Pair[v], s = vs.Start[v], rows = T - s;
            source.Data.AsSpan((b * T + s) * C, rows * C).CopyTo(x.Slice(vs.RowOffset[v] * C, rows * C));
        }
    }

    // x rows += source rows, except each variant's first row takes firstFrom (when given) instead of source
    private static void AddRows(Span<float> x, SuffixRunner.Variants vs, Tensor source, int T, int C, Tensor? firstFrom = null)
    {
        for (int v = 0; v < vs.Count; v++)
        {
            int b = vs.Pair[v], s = vs.Start[v], r0 = vs.RowOffset[v];
            for (int i = 0; i < T - s; i++)
            {
                var row = x.Slice((r0 + i) * C, C);
                TensorPrimitives.Add(row, (i == 0 && firstFrom is not null ? firstFrom : source).Slice(b, s + i), row);
            }
        }
    }

    // z of head h at position t when its q, k, v, pattern or z comes from the clean run: at every position, or only at
    // padded position `only` (≥ 0: the key/value of that position, or the query/pattern row/z when t is that position)
    private static void PatchedHeadOutput(Span<float> z, HookPoint point, int b, int t, int h, int layer, PatchingBatch data,
        Gpt2Config cfg, ActivationCache clean, ActivationCache corrupt, int only = -1)
    {
        int T = data.SeqLen, pad = data.PadLeft(b), D = cfg.DHead;
        if (point == HookPoint.Z) { clean[HookPoint.Z, layer].Slice(b, t, h).CopyTo(z); return; }
        Tensor Source(HookPoint p, int j) => point == p && (only < 0 || j == only) ? clean[p, layer] : corrupt[p, layer];
        Span<float> weights = stackalloc float[T];
        var w = weights.Slice(0, t + 1 - pad);
        if (point == HookPoint.Pattern && (only < 0 || t == only)) clean[HookPoint.Pattern, layer].Slice(b, h, t).Slice(pad, w.Length).CopyTo(w);
        else
        {
            var q = Source(HookPoint.Q, t).Slice(b, t, h);
            float scale = 1f / MathF.Sqrt(D);
            for (int j = pad; j <= t; j++) w[j - pad] = TensorPrimitives.Dot(q, Source(HookPoint.K, j).Slice(b, j, h)) * scale;
            Tensors.Kernels.Attention.SoftmaxForward(w, w, 1, w.Length);
        }
        z.Clear();
        for (int j = pad; j <= t; j++) TensorPrimitives.MultiplyAdd(Source(HookPoint.V, j).Slice(b, j, h), w[j - pad], z, z);
    }

    private readonly record struct Variant(int Pair, int Start, SweepComponent C);

    // Which variants a sweep needs at each layer, and where their results go.
    private sealed class SweepPlan(Sweep sweep, PatchingBatch data, Gpt2Config cfg)
    {
        public Sweep Sweep => sweep;
        private readonly int[] _shape = sweep.Shape(cfg, data.Count, data.SeqLen);

        public long VariantCount => sweep.LayerList(cfg).Sum(l => (long)Variants(l).Count);

        // Components at positions before a pair's first difference (or patching a pair that has none) change nothing: not run.
        public List<Variant> Variants(int layer)
        {
            var list = new List<Variant>();
            int perLayer = sweep.ComponentsPerLayer(cfg, data.SeqLen);
            for (int b = 0; b < data.Count; b++)
            {
                int pad = data.PadLeft(b), d = data.FirstDifference[b], len = data.Length(b);
                for (int i = 0; i < perLayer; i++)
                {
                    var c = sweep.Component(layer, i, cfg);
                    if (c.Position >= len || d >= len || (c.Position >= 0 && c.Position < d)) continue;
                    list.Add(new Variant(b, pad + (c.Position >= 0 ? c.Position : d), c));
                }
            }
            return list;
        }

        // Every entry starts as the corrupted metric (patches that cannot change anything), NaN past a pair's length.
        public Tensor NewResult(float[] corrupt)
        {
            var t = Tensor.Zeros(_shape);
            int perLayer = sweep.ComponentsPerLayer(cfg, data.SeqLen);
            for (int b = 0; b < data.Count; b++)
            {
                t.Slice(b).Fill(corrupt[b]);
                if (!sweep.PerPosition) continue;
                foreach (int layer in sweep.LayerList(cfg))
                    for (int i = 0; i < perLayer; i++)
                    {
                        var c = sweep.Component(layer, i, cfg);
                        if (c.Position >= data.Length(b)) t.Data[sweep.Offset(_shape, b, c)] = float.NaN;
                    }
            }
            return t;
        }

        public void Store(Tensor result, Variant v, int layer, float value) => result.Data[sweep.Offset(_shape, v.Pair, v.C)] = value;
    }
}
