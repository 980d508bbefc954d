// The fast exact activation-patching engine. Same numbers as ActivationPatching (tested), far less
// work: each patched run starts at the patched layer from the cached corrupted residual stream,
// recomputes only positions from the first one the patch can change (earlier keys/values come from
// the corrupted cache), batches all heads × pairs of a layer into large matrix products, and hands
// the batch's metric only each variant's final residual row (logit-diff needs two vocabulary rows of
// it; prob-diff one GEMM of those rows against the unembedding).
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
        var cleanPoints = sweeps.Select(s => s.Point).ToHashSet();
        var corruptPoints = new HashSet<HookPoint> { HookPoint.ResidPre, HookPoint.K, HookPoint.V };
        foreach (var s in sweeps)
        {
            if (s.Axes != SweepAxes.LayerPos) { corruptPoints.Add(HookPoint.Z); corruptPoints.Add(HookPoint.Q); corruptPoints.Add(HookPoint.AttnOut); }
            if (s.Point == HookPoint.Pattern) cleanPoints.Add(HookPoint.Pattern);
            if (s.Point == HookPoint.AttnOut) corruptPoints.Add(HookPoint.AttnOut);
            if (s.Point == HookPoint.MlpOut) { corruptPoints.Add(HookPoint.MlpOut); corruptPoints.Add(HookPoint.ResidMid); }
        }
        // no unembedding here: the metric reads the final residual rows it needs
        var noLogits = new ForwardOptions { Logits = LogitsMode.None };
        var (cleanRun, cleanCache) = model.RunWithCache(data.Clean, Filter(cleanPoints, L), noLogits);
        var (corruptRun, corruptCache) = model.RunWithCache(data.Corrupt, Filter(corruptPoints, L), noLogits);
        var cleanLd = data.Metric.FromFinalResidual(model.Weights, cleanRun.Residual);
        var corruptLd = data.Metric.FromFinalResidual(model.Weights, corruptRun.Residual);

        var runner = new SuffixRunner(model.Weights, data, corruptCache);
        var plans = sweeps.Select(s => new SweepPlan(s, data, model.Config)).ToList();
        long total = plans.Sum(p => p.VariantCount), done = 0;
        var results = new List<PatchingResult>();
        foreach (var plan in plans)
        {
            var patched = plan.NewResult(corruptLd);
            for (int layer = 0; layer < L; layer++)
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

    private static Func<string, bool> Filter(HashSet<HookPoint> points, int nLayers) =>
        name => HookNames.TryParse(name, nLayers, out var p, out _) && HookNames.IsLayerPoint(p) && points.Contains(p);

    // Fills the runner's residual (and z) rows with each variant's patched starting state, then runs it to the metric.
    private static float[] RunGroup(SuffixRunner runner, SuffixRunner.Variants vs, List<Variant> group, Sweep sweep, int layer,
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

            case (SweepAxes.LayerPos, HookPoint.AttnOut):
                AddRows(x, vs, corrupt[HookPoint.AttnOut, layer], T, C, firstFrom: clean[HookPoint.AttnOut, layer]);
                return runner.RunFromResidMid(vs, layer);

            case (SweepAxes.LayerPos, HookPoint.MlpOut):
                var residMid = corrupt[HookPoint.ResidMid, layer];
                for (int v = 0; v < vs.Count; v++)
                {
                    int b = vs.Pair[v], s = vs.Start[v], rows = T - s;
                    residMid.Data.AsSpan((b * T + s) * C, rows * C).CopyTo(x.Slice(vs.RowOffset[v] * C, rows * C));
                }
                AddRows(x, vs, corrupt[HookPoint.MlpOut, layer], T, C, firstFrom: clean[HookPoint.MlpOut, layer]);
                return runner.RunFromResidPre(vs, layer + 1);

            default:
                // head sweeps: W_O is linear, so resid_mid = corrupted resid_mid + (patched z_h − corrupted z_h)·W_O[h]
                // (one head's 64-wide product per row instead of re-running the whole attention output)
                AddRows(x, vs, corrupt[HookPoint.AttnOut, layer], T, C);
                var zc = corrupt[HookPoint.Z, layer];
                var wo = weights.Read(weights.Layers[layer].AttnOutWeight);
                Span<float> dz = stackalloc float[D];
                Span<float> delta = stackalloc float[C];
                for (int v = 0; v < vs.Count; v++)
                {
                    int b = vs.Pair[v], s = vs.Start[v], r0 = vs.RowOffset[v], h = group[v].Head;
                    int patchedRows = sweep.Axes == SweepAxes.LayerPosHead ? 1 : T - s;
                    for (int i = 0; i < patchedRows; i++)
                    {
                        PatchedHeadOutput(dz, sweep.Point, b, s + i, h, layer, data, cfg, clean, corrupt);
                        TensorPrimitives.Subtract(dz, zc.Slice(b, s + i, h), dz);
                        delta.Clear();
                        for (int d = 0; d < D; d++) TensorPrimitives.MultiplyAdd(wo.Slice((h * D + d) * C, C), dz[d], delta, delta);
                        var row = x.Slice((r0 + i) * C, C);
                        TensorPrimitives.Add(row, delta, row);
                    }
                }
                return runner.RunFromResidMid(vs, layer);
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

    // z of head h at position t when its q, k, v, pattern or z comes from the clean run
    private static void PatchedHeadOutput(Span<float> z, HookPoint point, int b, int t, int h, int layer, PatchingBatch data,
        Gpt2Config cfg, ActivationCache clean, ActivationCache corrupt)
    {
        int T = data.SeqLen, pad = data.PadLeft(b), D = cfg.DHead;
        if (point == HookPoint.Z) { clean[HookPoint.Z, layer].Slice(b, t, h).CopyTo(z); return; }
        Tensor Source(HookPoint p) => point == p ? clean[p, layer] : corrupt[p, layer];
        var v = Source(HookPoint.V);
        Span<float> weights = stackalloc float[T];
        var w = weights.Slice(0, t + 1 - pad);
        if (point == HookPoint.Pattern) clean[HookPoint.Pattern, layer].Slice(b, h, t).Slice(pad, w.Length).CopyTo(w);
        else
        {
            var q = Source(HookPoint.Q).Slice(b, t, h);
            var k = Source(HookPoint.K);
            float scale = 1f / MathF.Sqrt(D);
            for (int j = pad; j <= t; j++) w[j - pad] = TensorPrimitives.Dot(q, k.Slice(b, j, h)) * scale;
            Tensors.Kernels.Attention.SoftmaxForward(w, w, 1, w.Length);
        }
        z.Clear();
        for (int j = pad; j <= t; j++) TensorPrimitives.MultiplyAdd(v.Slice(b, j, h), w[j - pad], z, z);
    }

    private readonly record struct Variant(int Pair, int Start, int Head, int Position);

    // Which variants a sweep needs at each layer, and where their results go.
    private sealed class SweepPlan(Sweep sweep, PatchingBatch data, Gpt2Config cfg)
    {
        public Sweep Sweep => sweep;

        public long VariantCount
        {
            get
            {
                long n = 0;
                for (int layer = 0; layer < cfg.NLayers; layer++) n += Variants(layer).Count;
                return n;
            }
        }

        public List<Variant> Variants(int layer)
        {
            var list = new List<Variant>();
            int H = cfg.NHeads;
            for (int b = 0; b < data.Count; b++)
            {
                int pad = data.PadLeft(b), d = data.FirstDifference[b], len = data.Length(b);
                switch (sweep.Axes)
                {
                    case SweepAxes.LayerHead:
                        if (d < len) for (int h = 0; h < H; h++) list.Add(new Variant(b, pad + d, h, -1));
                        break;
                    case SweepAxes.LayerPos:
                        for (int p = d; p < len; p++) list.Add(new Variant(b, pad + p, -1, p));
                        break;
                    default:
                        for (int p = d; p < len; p++) for (int h = 0; h < H; h++) list.Add(new Variant(b, pad + p, h, p));
                        break;
                }
            }
            return list;
        }

        // Every entry starts as the corrupted LD (patches that cannot change anything), NaN past a pair's length.
        public Tensor NewResult(float[] corruptLd)
        {
            int B = data.Count, L = cfg.NLayers, H = cfg.NHeads, T = data.SeqLen;
            int[] shape = sweep.Axes switch { SweepAxes.LayerHead => [B, L, H], SweepAxes.LayerPos => [B, L, T], _ => [B, L, T, H] };
            var t = Tensor.Zeros(shape);
            for (int b = 0; b < B; b++)
            {
                var row = t.Slice(b);
                row.Fill(corruptLd[b]);
                if (!sweep.PerPosition) continue;
                int heads = sweep.PerHead ? H : 1, len = data.Length(b);
                for (int layer = 0; layer < L; layer++)
                    row.Slice(layer * T * heads + len * heads, (T - len) * heads).Fill(float.NaN);
            }
            return t;
        }

        public void Store(Tensor result, Variant v, int layer, float value)
        {
            switch (sweep.Axes)
            {
                case SweepAxes.LayerHead: result[v.Pair, layer, v.Head] = value; break;
                case SweepAxes.LayerPos: result[v.Pair, layer, v.Position] = value; break;
                default: result[v.Pair, layer, v.Position, v.Head] = value; break;
            }
        }
    }
}
