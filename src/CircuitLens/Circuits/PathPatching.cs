// Path patching (Wang et al., IOI): how much of the clean-vs-corrupted change flows from a sender head
// to the receivers along direct paths. Step 1 runs the clean prompt with the sender's z taken from the
// source (corrupted) run and every other head's z frozen to its clean value, MLPs recomputed; the
// receivers are the logits (measured right there) or heads' q/k/v inputs, which step 1 records and
// step 2 patches alone into a fresh clean run. Two engines with the same numbers:
//   RunPlain  — hooked full forward passes (TransformerLens style), the reference;
//   Run       — the fast one. With every head's z frozen, attention outputs after the sender are the
//               clean ones, so step 1 is per-position: only the MLPs on the rows the sender changed
//               (the last position for the logits; positions from the first differing token for head
//               receivers) are recomputed, all senders of a layer stacked into large GEMMs.
// On a device (model.Device ≠ cpu) step 1's rows run through the device block's MLPs (DevicePathRows).
// Senders at or above the earliest receiver's layer have no path: NaN. The metric is the batch's
// (logit-diff, prob-diff, logit-diff-to-max), read from final-residual rows or logits.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Patching.Metrics;
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Circuits;

public static class PathPatching
{
    private const string ProgressName = "path-patch";

    /// <summary>The reference engine: per sender one (logits) or two (head receivers) hooked forward passes of the batch.</summary>
    public static PathPatchingResult RunPlain(HookedTransformer model, PatchingBatch data, PathReceivers receivers,
        IProgress<PatchingProgress>? progress = null, CancellationToken ct = default)
    {
        var cfg = model.Config;
        int B = data.Count, L = cfg.NLayers, H = cfg.NHeads;
        var metric = data.Metric;
        var last = new ForwardOptions { Logits = LogitsMode.LastPosition };
        var (cleanRun, clean) = model.RunWithCache(data.Clean, Points(L, HookPoint.Z), last);
        var (corruptRun, corrupt) = model.RunWithCache(data.Corrupt, Points(L, HookPoint.Z), last);
        var cleanM = metric.FromLogits(cleanRun.Logits!);
        var corruptM = metric.FromLogits(corruptRun.Logits!);

        int earliest = receivers.EarliestLayer(L);
        var patched = NaNs(B, L, H);
        long done = 0, total = (long)earliest * H;
        for (int l = 0; l < earliest; l++)
            for (int h = 0; h < H; h++)
            {
                ct.ThrowIfCancellationRequested();
                var hooks = FreezeHooks(clean, corrupt, new HeadId(l, h), L);
                float[] m;
                if (receivers.IsLogits) m = metric.FromLogits(model.Run(data.Clean, last, hooks).Logits!);
                else
                {
                    var recorded = new Dictionary<(int, HookPoint), Tensor>();
                    foreach (var r in receivers.Heads)
                    {
                        var key = (r.Head.Layer, r.Input);
                        if (recorded.ContainsKey(key)) continue;
                        recorded[key] = null!;
                        hooks.Add(new NamedHook(HookNames.Name(r.Input, r.Head.Layer), (act, _) => recorded[key] = act.Clone()));
                    }
                    model.Run(data.Clean, new ForwardOptions { Logits = LogitsMode.None }, hooks);
                    var step2 = receivers.Heads.Select(r => new NamedHook(HookNames.Name(r.Input, r.Head.Layer), (act, _) =>
                    {
                        var src = recorded[(r.Head.Layer, r.Input)];
                        for (int b = 0; b < act.Dim(0); b++)
                            for (int t = 0; t < act.Dim(1); t++) src.Slice(b, t, r.Head.Head).CopyTo(act.Slice(b, t, r.Head.Head));
                    }));
                    m = metric.FromLogits(model.Run(data.Clean, last, step2).Logits!);
                }
                for (int b = 0; b < B; b++) patched[b, l, h] = m[b];
                progress?.Report(new PatchingProgress(ProgressName, ++done, total));
            }
        return new PathPatchingResult(receivers, patched, cleanM, corruptM, metric.Name);
    }

    // Every layer from the sender's on: all heads' z ← clean, then the sender's z ← source.
    private static List<NamedHook> FreezeHooks(ActivationCache clean, ActivationCache source, HeadId sender, int nLayers)
    {
        var hooks = new List<NamedHook>();
        for (int m = sender.Layer; m < nLayers; m++)
        {
            var cleanZ = clean[HookPoint.Z, m];
            var sourceZ = m == sender.Layer ? source[HookPoint.Z, m] : null;
            hooks.Add(new NamedHook(HookNames.AttnZ(m), (act, _) =>
            {
                cleanZ.Data.CopyTo(act.Data, 0);
                if (sourceZ is null) return;
                for (int b = 0; b < act.Dim(0); b++)
                    for (int t = 0; t < act.Dim(1); t++) sourceZ.Slice(b, t, sender.Head).CopyTo(act.Slice(b, t, sender.Head));
            }));
        }
        return hooks;
    }

    /// <summary>The fast engine (same numbers as <see cref="RunPlain"/>, tested).</summary>
    public static PathPatchingResult Run(HookedTransformer model, PatchingBatch data, PathReceivers receivers,
        IProgress<PatchingProgress>? progress = null, CancellationToken ct = default, int maxRowsPerRun = 2048)
    {
        var cfg = model.Config;
        int B = data.Count, L = cfg.NLayers, H = cfg.NHeads, T = data.SeqLen;
        var metric = data.Metric;
        var none = new ForwardOptions { Logits = LogitsMode.None };
        var (cleanRun, clean) = model.RunWithCache(data.Clean, Points(L, HookPoint.ResidPre, HookPoint.ResidMid, HookPoint.AttnOut, HookPoint.Z), none);
        var (corruptRun, corrupt) = model.RunWithCache(data.Corrupt, Points(L, HookPoint.Z), none);
        var cleanM = metric.FromFinalResidual(model.Weights, cleanRun.Residual);
        var corruptM = metric.FromFinalResidual(model.Weights, corruptRun.Residual);

        // the rows a sender can change: the last position (logits) or every position from the first difference (heads)
        var rowStart = new int[B];
        var rowOffset = new int[B + 1];
        for (int b = 0; b < B; b++)
        {
            rowStart[b] = receivers.IsLogits ? T - 1 : data.PadLeft(b) + data.FirstDifference[b];
            rowOffset[b + 1] = rowOffset[b] + (T - rowStart[b]);
        }
        int rowsPerHead = rowOffset[B];

        int earliest = receivers.EarliestLayer(L);
        var patched = NaNs(B, L, H);
        var host = new RowRunner(model.Weights);
        using var device = model.IlgpuBackend is { } backend ? new DevicePathRows(backend.Block, host, clean, T) : null;
        IPathRows rows = device is null ? host : device;
        long done = 0, total = (long)earliest * H;
        int headsPerRun = Math.Clamp(maxRowsPerRun / Math.Max(1, rowsPerHead), 1, H);
        for (int l = 0; l < earliest; l++)
            for (int h0 = 0; h0 < H; h0 += headsPerRun)
            {
                ct.ThrowIfCancellationRequested();
                int nh = Math.Min(headsPerRun, H - h0);
                var senders = Enumerable.Range(h0, nh).Select(h => new HeadId(l, h)).ToList();
                var changed = rows.Start(senders, clean, corrupt, rowStart, rowOffset, rowsPerHead, T);
                if (receivers.IsLogits)
                {
                    rows.RunMlpsFrom(l, L, clean, rowStart, rowOffset, rowsPerHead, null);
                    var values = rows.Metric(metric, nh, B, rowsPerHead, rowOffset);
                    for (int i = 0; i < nh; i++)
                        for (int b = 0; b < B; b++)
                            patched[b, l, h0 + i] = changed[i, b] ? values[i * B + b] : cleanM[b];
                }
                else
                {
                    var recorded = new Dictionary<ReceiverInput, float[]>();
                    int stop = receivers.Layers[^1];
                    rows.RunMlpsFrom(l, stop, clean, rowStart, rowOffset, rowsPerHead, layer => rows.RecordInputs(receivers, layer, recorded));
                    rows.RecordInputs(receivers, stop, recorded);
                    for (int i = 0; i < nh; i++)
                    {
                        var m = Step2(model, data, receivers, clean, recorded, i * rowsPerHead, rowStart, rowOffset, changed, i, metric);
                        for (int b = 0; b < B; b++) patched[b, l, h0 + i] = changed[i, b] ? m[b] : cleanM[b];
                    }
                }
                done += nh;
                progress?.Report(new PatchingProgress(ProgressName, done, total));
            }
        return new PathPatchingResult(receivers, patched, cleanM, corruptM, metric.Name);
    }

    // A clean run from the earliest receiver's layer with only the receivers' inputs replaced (rows of sender i).
    private static float[] Step2(HookedTransformer model, PatchingBatch data, PathReceivers receivers, ActivationCache clean,
        Dictionary<ReceiverInput, float[]> recorded, int senderRow0, int[] rowStart, int[] rowOffset, bool[,] changed, int sender, PatchingMetric metric)
    {
        int D = model.Config.DHead, first = receivers.Layers[0], B = data.Count;
        if (!Enumerable.Range(0, B).Any(b => changed[sender, b])) return new float[B];
        var hooks = receivers.Heads.Select(r => new NamedHook(HookNames.Name(r.Input, r.Head.Layer), (act, _) =>
        {
            var rec = recorded[r];
            for (int b = 0; b < B; b++)
            {
                if (!changed[sender, b]) continue;
                for (int t = rowStart[b]; t < data.SeqLen; t++)
                    rec.AsSpan((senderRow0 + rowOffset[b] + t - rowStart[b]) * D, D).CopyTo(act.Slice(b, t, r.Head.Head));
            }
        }));
        var run = model.Run(data.Clean, new ForwardOptions { StartAtLayer = first, StartResidual = clean[HookPoint.ResidPre, first], Logits = LogitsMode.None }, hooks);
        return metric.FromFinalResidual(model.Weights, run.Residual);
    }

    private static Func<string, bool> Points(int nLayers, params HookPoint[] points) =>
        name => HookNames.TryParse(name, nLayers, out var p, out _) && HookNames.IsLayerPoint(p) && points.Contains(p);

    private static Tensor NaNs(params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        t.Span.Fill(float.NaN);
        return t;
    }

    // Stacked residual rows (R,C) of several senders' step-1 runs and the per-row block halves they need.
    internal sealed class RowRunner(Gpt2Weights w) : IPathRows
    {
        private readonly Gpt2Config _cfg = w.Config;
        private float[] _x = [], _ln = [], _centered = [], _scale = [], _wide = [], _wide2 = [], _out = [], _delta = [];
        private int _rows;

        // the metric of each (sender i, pair b) from its row at offset rowOffset[b] (the last position), as values[i·B + b]
        public float[] Metric(PatchingMetric metric, int senders, int B, int rowsPerHead, int[] rowOffset)
        {
            int C = _cfg.DModel;
            var pairs = new int[senders * B];
            var last = new float[senders * B * C];
            for (int i = 0; i < senders; i++)
                for (int b = 0; b < B; b++)
                {
                    pairs[i * B + b] = b;
                    _x.AsSpan((i * rowsPerHead + rowOffset[b]) * C, C).CopyTo(last.AsSpan((i * B + b) * C, C));
                }
            var values = new float[senders * B];
            metric.Evaluate(w, pairs, last, values);
            return values;
        }

        // x = clean resid_mid of the sender layer + (z_source − z_clean)·W_O of each sender; changed[i, b]: sender i moved pair b at all
        public bool[,] Start(IReadOnlyList<HeadId> senders, ActivationCache clean, ActivationCache source, int[] rowStart, int[] rowOffset, int rowsPerHead, int T)
        {
            int C = _cfg.DModel, D = _cfg.DHead, B = rowStart.Length, l = senders[0].Layer;
            Ensure(senders.Count * rowsPerHead);
            var mid = clean[HookPoint.ResidMid, l];
            var zc = clean[HookPoint.Z, l];
            var zs = source[HookPoint.Z, l];
            var wo = w.Read(w.Layers[l].AttnOutWeight);
            var changed = new bool[senders.Count, B];
            Span<float> dz = stackalloc float[D];
            for (int i = 0; i < senders.Count; i++)
            {
                int h = senders[i].Head;
                for (int b = 0; b < B; b++)
                    for (int t = rowStart[b]; t < T; t++)
                    {
                        var x = _x.AsSpan((i * rowsPerHead + rowOffset[b] + t - rowStart[b]) * C, C);
                        mid.Slice(b, t).CopyTo(x);
                        TensorPrimitives.Subtract(zs.Slice(b, t, h), zc.Slice(b, t, h), dz);
                        var delta = _delta.AsSpan(0, C);
                        delta.Clear();
                        for (int d = 0; d < D; d++)
                            if (dz[d] != 0) TensorPrimitives.MultiplyAdd(wo.Slice((h * D + d) * C, C), dz[d], delta, delta);
                        if (TensorPrimitives.IndexOfMaxMagnitude(delta) is int k && delta[k] == 0) continue;
                        changed[i, b] = true;
                        TensorPrimitives.Add(x, delta, x);
                    }
            }
            return changed;
        }

        // From the sender's layer's MLP up to (not including) layer `stop`: later layers add their CLEAN attention
        // output (every head frozen) and recompute their MLP. beforeLayer(m) sees resid_pre of each layer m in between.
        public void RunMlpsFrom(int senderLayer, int stop, ActivationCache clean, int[] rowStart, int[] rowOffset, int rowsPerHead, Action<int>? beforeLayer)
        {
            int C = _cfg.DModel, B = rowStart.Length, T = rowStart.Length == 0 ? 0 : clean[HookPoint.AttnOut, 0].Dim(1);
            int senders = _rows / Math.Max(1, rowsPerHead);
            for (int m = senderLayer; m < stop; m++)
            {
                if (m > senderLayer)
                {
                    beforeLayer?.Invoke(m);
                    var attn = clean[HookPoint.AttnOut, m];
                    for (int i = 0; i < senders; i++)
                        for (int b = 0; b < B; b++)
                            for (int t = rowStart[b]; t < T; t++)
                            {
                                var x = _x.AsSpan((i * rowsPerHead + rowOffset[b] + t - rowStart[b]) * C, C);
                                TensorPrimitives.Add(x, attn.Slice(b, t), x);
                            }
                }
                Mlp(m);
            }
        }

        // x += mlp(ln_2(x)) on every row
        private void Mlp(int layer)
        {
            var lw = w.Layers[layer];
            int R = _rows, C = _cfg.DModel, M = _cfg.DMlp;
            var x = _x.AsSpan(0, R * C);
            LayerNorm.ScaleForward(_centered.AsSpan(0, R * C), _scale.AsSpan(0, R), x, R, C, _cfg.LayerNormEps);
            LayerNorm.NormalizeForward(_ln.AsSpan(0, R * C), _centered.AsSpan(0, R * C), _scale.AsSpan(0, R), w.Read(lw.Ln2Weight), w.Read(lw.Ln2Bias), R, C);
            Linear.Forward(_wide.AsSpan(0, R * M), _ln.AsSpan(0, R * C), w, lw.MlpInWeight, lw.MlpInBias, R);
            if (_cfg.Activation == "gelu") Gelu.ErfForward(_wide2.AsSpan(0, R * M), _wide.AsSpan(0, R * M));
            else Gelu.TanhForward(_wide2.AsSpan(0, R * M), _wide.AsSpan(0, R * M));
            Linear.Forward(_out.AsSpan(0, R * C), _wide2.AsSpan(0, R * M), w, lw.MlpOutWeight, lw.MlpOutBias, R);
            TensorPrimitives.Add(x, _out.AsSpan(0, R * C), x);
        }

        // The receivers of `layer`: their q/k/v head slices computed from the current rows (ln_1, then the qkv projection).
        public void RecordInputs(PathReceivers receivers, int layer, Dictionary<ReceiverInput, float[]> recorded)
        {
            var here = receivers.Heads.Where(r => r.Head.Layer == layer).ToList();
            if (here.Count == 0) return;
            var lw = w.Layers[layer];
            int R = _rows, C = _cfg.DModel, D = _cfg.DHead;
            LayerNorm.ScaleForward(_centered.AsSpan(0, R * C), _scale.AsSpan(0, R), _x.AsSpan(0, R * C), R, C, _cfg.LayerNormEps);
            LayerNorm.NormalizeForward(_ln.AsSpan(0, R * C), _centered.AsSpan(0, R * C), _scale.AsSpan(0, R), w.Read(lw.Ln1Weight), w.Read(lw.Ln1Bias), R, C);
            var qkv = new float[R * 3 * C];
            Linear.Forward(qkv, _ln.AsSpan(0, R * C), w, lw.QkvWeight, lw.QkvBias, R);
            foreach (var r in here)
            {
                int column = (r.Input - HookPoint.Q) * C + r.Head.Head * D;
                var dst = new float[R * D];
                for (int i = 0; i < R; i++) qkv.AsSpan(i * 3 * C + column, D).CopyTo(dst.AsSpan(i * D, D));
                recorded[r] = dst;
            }
        }

        /// <summary>The stacked rows on the host (R,C): what Start wrote, or what a device runner brings back before Metric.</summary>
        public Span<float> Rows => _x.AsSpan(0, _rows * _cfg.DModel);

        private void Ensure(int rows)
        {
            _rows = rows;
            int C = _cfg.DModel, M = _cfg.DMlp;
            if (_x.Length >= rows * C) return;
            _x = new float[rows * C]; _ln = new float[rows * C]; _centered = new float[rows * C]; _out = new float[rows * C];
            _scale = new float[rows]; _wide = new float[rows * M]; _wide2 = new float[rows * M]; _delta = new float[C];
        }
    }
}
