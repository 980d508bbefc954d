// Runs many patched variants of the corrupted prompts at once, recomputing only what a patch can
// change. Causal attention means positions before a variant's start position s are identical to the
// corrupted run, so their keys/values come from the corrupted cache (a KV-cache view of patching);
// the rows s..T-1 of every variant are stacked into one matrix so each block is a few large GEMMs.
// The metric reads each variant's final residual row (before ln_f), all variants' rows in one call.
// An optional Recorder sees the activations of the rows it runs (attribution patching runs the clean
// prompts' suffixes this way); it records, never edits them.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Patching;

internal sealed class SuffixRunner
{
    private readonly Gpt2Weights _w;
    private readonly Gpt2Config _cfg;
    private readonly PatchingBatch _data;
    private readonly ActivationCache _corrupt;   // corrupted run: k, v of every layer (B,T,NH,HS)
    private float[] _x = [], _ln = [], _centered = [], _scale = [], _qkv = [], _z = [], _tmp = [], _mlp = [], _pattern = [];

    /// <summary>
    /// Receives an activation of every row being run: row r (see <see cref="Variants"/>) starts at r·rowStride of rows.
    /// Points: resid_pre, q, k, v, z (width C), pattern (width NH·T: each head's weights over all T padded key
    /// positions, zero where masked), attn_out, resid_mid, mlp_out, resid_post (width C) and mlp_pre, mlp_post (width d_mlp).
    /// In the last layer the points from attn_out on come for each variant's final row only (the variants passed then
    /// start at T−1). The span is valid during the call.
    /// </summary>
    public delegate void ActivationRecorder(HookPoint point, int layer, Variants variants, ReadOnlySpan<float> rows, int rowStride);

    /// <summary>Called as activations are computed; null (default) records nothing.</summary>
    public ActivationRecorder? Recorder { get; set; }

    public SuffixRunner(Gpt2Weights weights, PatchingBatch data, ActivationCache corruptCache)
    {
        _w = weights; _cfg = weights.Config; _data = data; _corrupt = corruptCache;
    }

    /// <summary>Variants being run: pair, first recomputed position (padded coordinates), and their rows in the stacked matrix.</summary>
    public sealed class Variants
    {
        public readonly List<int> Pair = [], Start = [], RowOffset = [];
        public int TotalRows;
        public int Count => Pair.Count;
        public int Add(int pair, int start, int seqLen)
        {
            Pair.Add(pair); Start.Add(start); RowOffset.Add(TotalRows);
            TotalRows += seqLen - start;
            return Count - 1;
        }
        public int Rows(int v, int seqLen) => seqLen - Start[v];
    }

    public int C => _cfg.DModel;
    public int SeqLen => _data.SeqLen;

    /// <summary>Residual rows (R,C) of the variants; fill before running.</summary>
    public Span<float> Residual(Variants vs) { Ensure(vs.TotalRows); return _x.AsSpan(0, vs.TotalRows * C); }

    /// <summary>Residual holds resid_pre of <paramref name="layer"/>; runs to the end and returns the metric per variant.</summary>
    public float[] RunFromResidPre(Variants vs, int layer)
    {
        int last = _cfg.NLayers - 1;
        if (layer > last) return Metric(vs);
        for (int l = layer; l < last; l++) FullBlock(vs, l);
        AttentionHalf(vs, last);
        var lastRows = CompactToLastRows(vs, withHeadOutputs: true);
        AttentionOutput(lastRows, last);
        MlpHalf(lastRows, last);
        return Metric(lastRows);
    }

    /// <summary>Residual holds resid_mid of <paramref name="layer"/>: runs its MLP, then continues.</summary>
    public float[] RunFromResidMid(Variants vs, int layer)
    {
        if (layer == _cfg.NLayers - 1) vs = CompactToLastRows(vs, withHeadOutputs: false);
        MlpHalf(vs, layer);
        return RunFromResidPre(vs, layer + 1);
    }

    private void FullBlock(Variants vs, int l)
    {
        AttentionHalf(vs, l);
        AttentionOutput(vs, l);
        MlpHalf(vs, l);
    }

    // ln_1, q/k/v of every suffix row, and z (keys/values of all rows are needed by later queries)
    private void AttentionHalf(Variants vs, int l)
    {
        var lw = _w.Layers[l];
        int R = vs.TotalRows;
        Record(HookPoint.ResidPre, l, vs, _x, C);
        LayerNormRows(R, lw.Ln1Weight, lw.Ln1Bias);
        Linear.Forward(_qkv.AsSpan(0, R * 3 * C), _ln.AsSpan(0, R * C), _w, lw.QkvWeight, lw.QkvBias, R);
        if (Recorder is not null)
        {
            Record(HookPoint.Q, l, vs, _qkv, 3 * C);
            Record(HookPoint.K, l, vs, _qkv.AsSpan(C), 3 * C);
            Record(HookPoint.V, l, vs, _qkv.AsSpan(2 * C), 3 * C);
            int patternRow = _cfg.NHeads * SeqLen;
            if (_pattern.Length < R * patternRow) _pattern = new float[R * patternRow];
            AttendSuffix(vs, l);
            Record(HookPoint.Pattern, l, vs, _pattern, patternRow);
            Record(HookPoint.Z, l, vs, _z, C);
        }
        else AttendSuffix(vs, l);
    }

    private void Record(HookPoint point, int layer, Variants vs, ReadOnlySpan<float> rows, int rowStride)
    {
        if (Recorder is { } recorder) recorder(point, layer, vs, rows.Slice(0, Math.Min(rows.Length, vs.TotalRows * rowStride)), rowStride);
    }

    // In the last layer only each variant's final row reaches the metric: keep just those rows
    // (in place: variant v's row moves to index v, never past a row still to be read).
    private Variants CompactToLastRows(Variants vs, bool withHeadOutputs)
    {
        var compact = new Variants();
        for (int v = 0; v < vs.Count; v++)
        {
            int row = vs.RowOffset[v] + vs.Rows(v, SeqLen) - 1;
            compact.Add(vs.Pair[v], SeqLen - 1, SeqLen);
            _x.AsSpan(row * C, C).CopyTo(_x.AsSpan(v * C, C));
            if (withHeadOutputs) _z.AsSpan(row * C, C).CopyTo(_z.AsSpan(v * C, C));
        }
        return compact;
    }

    private void AttentionOutput(Variants vs, int l)
    {
        var lw = _w.Layers[l];
        int R = vs.TotalRows;
        Linear.Forward(_tmp.AsSpan(0, R * C), _z.AsSpan(0, R * C), _w, lw.AttnOutWeight, lw.AttnOutBias, R);
        Record(HookPoint.AttnOut, l, vs, _tmp, C);
        TensorPrimitives.Add(_x.AsSpan(0, R * C), _tmp.AsSpan(0, R * C), _x.AsSpan(0, R * C));
        Record(HookPoint.ResidMid, l, vs, _x, C);
    }

    private void MlpHalf(Variants vs, int l)
    {
        var lw = _w.Layers[l];
        int R = vs.TotalRows, M = _cfg.DMlp;
        LayerNormRows(R, lw.Ln2Weight, lw.Ln2Bias);
        Linear.Forward(_mlp.AsSpan(0, R * M), _ln.AsSpan(0, R * C), _w, lw.MlpInWeight, lw.MlpInBias, R);
        Record(HookPoint.MlpPre, l, vs, _mlp, M);
        if (_cfg.Activation == "gelu") Gelu.ErfForward(_mlp.AsSpan(0, R * M), _mlp.AsSpan(0, R * M));
        else Gelu.TanhForward(_mlp.AsSpan(0, R * M), _mlp.AsSpan(0, R * M));
        Record(HookPoint.MlpPost, l, vs, _mlp, M);
        Linear.Forward(_tmp.AsSpan(0, R * C), _mlp.AsSpan(0, R * M), _w, lw.MlpOutWeight, lw.MlpOutBias, R);
        Record(HookPoint.MlpOut, l, vs, _tmp, C);
        TensorPrimitives.Add(_x.AsSpan(0, R * C), _tmp.AsSpan(0, R * C), _x.AsSpan(0, R * C));
        Record(HookPoint.ResidPost, l, vs, _x, C);
    }

    private void LayerNormRows(int rows, ParamView weight, ParamView bias)
    {
        LayerNorm.ScaleForward(_centered, _scale, _x.AsSpan(0, rows * C), rows, C, _cfg.LayerNormEps);
        LayerNorm.NormalizeForward(_ln, _centered, _scale, _w.Read(weight), _w.Read(bias), rows, C);
    }

    // Each suffix query attends to the corrupted prefix keys (from the cache) and to its own variant's new keys.
    private unsafe void AttendSuffix(Variants vs, int l)
    {
        int H = _cfg.NHeads, D = _cfg.DHead, T = SeqLen, C3 = 3 * C;
        var kc = _corrupt[HookPoint.K, l].Data;
        var vc = _corrupt[HookPoint.V, l].Data;
        float scale = 1f / MathF.Sqrt(D);
        bool recordPattern = Recorder is not null;
        fixed (float* pqkv = _qkv) fixed (float* pz = _z) fixed (float* ppat = _pattern)
        {
            float* qkvp = pqkv, zp = pz, patp = ppat;
            Attention.For(vs.Count * H, (long)T * T * D * 2, vh =>
            {
                int v = vh / H, h = vh % H;
                int b = vs.Pair[v], s = vs.Start[v], r0 = vs.RowOffset[v], pad = _data.PadLeft(b);
                Span<float> scores = stackalloc float[T];
                var z = new Span<float>(zp, vs.TotalRows * C);
                var qkv = new ReadOnlySpan<float>(qkvp, vs.TotalRows * C3);
                for (int i = 0; i < T - s; i++)
                {
                    int t = s + i;
                    var q = qkv.Slice((r0 + i) * C3 + h * D, D);
                    int nk = t + 1 - pad;
                    for (int j = pad; j <= t; j++)
                    {
                        var key = j < s ? new ReadOnlySpan<float>(kc, ((b * T + j) * H + h) * D, D)
                                        : qkv.Slice((r0 + j - s) * C3 + C + h * D, D);
                        scores[j - pad] = TensorPrimitives.Dot(q, key) * scale;
                    }
                    var sc = scores.Slice(0, nk);
                    Attention.SoftmaxForward(sc, sc, 1, nk);
                    if (recordPattern)
                    {
                        var weights = new Span<float>(patp + ((long)(r0 + i) * H + h) * T, T);
                        weights.Clear();
                        sc.CopyTo(weights.Slice(pad));
                    }
                    var zrow = z.Slice((r0 + i) * C + h * D, D);
                    zrow.Clear();
                    for (int j = pad; j <= t; j++)
                    {
                        var val = j < s ? new ReadOnlySpan<float>(vc, ((b * T + j) * H + h) * D, D)
                                        : qkv.Slice((r0 + j - s) * C3 + 2 * C + h * D, D);
                        TensorPrimitives.MultiplyAdd(val, scores[j - pad], zrow, zrow);
                    }
                }
            });
        }
    }

    // the batch's metric of each variant, from its last row
    private float[] Metric(Variants vs)
    {
        var rows = new float[vs.Count * C];
        var pairs = new int[vs.Count];
        for (int v = 0; v < vs.Count; v++)
        {
            int row = vs.RowOffset[v] + vs.Rows(v, SeqLen) - 1;
            _x.AsSpan(row * C, C).CopyTo(rows.AsSpan(v * C, C));
            pairs[v] = vs.Pair[v];
        }
        var result = new float[vs.Count];
        _data.Metric.Evaluate(_w, pairs, rows, result);
        return result;
    }

    private void Ensure(int rows)
    {
        if (_x.Length >= rows * C) return;
        int cap = Math.Max(rows, _x.Length / C * 2), M = _cfg.DMlp;
        _x = new float[cap * C]; _ln = new float[cap * C]; _centered = new float[cap * C]; _scale = new float[cap];
        _qkv = new float[cap * 3 * C]; _z = new float[cap * C]; _tmp = new float[cap * C];
        _mlp = new float[cap * M];
    }
}
