// Runs many patched variants of the corrupted prompts at once, recomputing only what a patch can
// change. Causal attention means positions before a variant's start position s are identical to the
// corrupted run, so their keys/values come from the corrupted cache (a KV-cache view of patching);
// the rows s..T-1 of every variant are stacked into one matrix so each block is a few large GEMMs.
// Each block is TransformerBlock's steps with the corrupted run as key/value prefix (Attention.PrefixedForward).
// The metric reads each variant's final residual row (before ln_f), all variants' rows in one call.
// An optional Recorder sees the activations of the rows it runs (attribution patching runs the clean
// prompts' suffixes this way); it records, never edits them.
using System.Runtime.InteropServices;
using CircuitLens.Hooks;
using CircuitLens.Model;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Patching;

internal sealed class SuffixRunner : IBlockTap, ISuffixRunner
{
    private readonly Gpt2Weights _w;
    private readonly Gpt2Config _cfg;
    private readonly PatchingBatch _data;
    private readonly ActivationCache _corrupt;   // corrupted run: k, v of every layer (B,T,NH,HS)
    private readonly TransformerBlock _block;
    private readonly BlockRows _r = new();       // attn_out and mlp_out share a buffer, mlp_pre and mlp_post another
    private readonly int[] _padLeft;
    private float[] _pattern = [];
    private Variants _running = new();           // the variants of the step being run (for the recorder)

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
        _block = new TransformerBlock(weights);
        _padLeft = new int[data.Clean.BatchSize];
        for (int b = 0; b < _padLeft.Length; b++) _padLeft[b] = data.PadLeft(b);
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
    public Span<float> Residual(Variants vs) { Ensure(vs.TotalRows); return _r.Resid.AsSpan(0, vs.TotalRows * C); }

    public void AddHeadOutput(int row, int layer, int head, ReadOnlySpan<float> dz)
    {
        int D = _cfg.DHead;
        var wo = _w.Read(_w.Layers[layer].AttnOutWeight);
        Span<float> delta = stackalloc float[C];
        delta.Clear();
        for (int d = 0; d < D; d++) TensorPrimitives.MultiplyAdd(wo.Slice((head * D + d) * C, C), dz[d], delta, delta);
        var x = _r.Resid.AsSpan(row * C, C);
        TensorPrimitives.Add(x, delta, x);
    }

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

    private BlockRows Rows(Variants vs)
    {
        _running = vs;
        _r.Count = vs.TotalRows;
        return _r;
    }

    private IBlockTap? Tap => Recorder is null ? null : this;

    // ln_1, q/k/v of every suffix row, and z: each suffix query attends to the corrupted prefix keys (from the cache)
    // and to its own variant's new keys (keys/values of all rows are needed by later queries)
    private void AttentionHalf(Variants vs, int l)
    {
        var rows = Rows(vs);
        _block.Qkv(rows, l, Tap);
        Span<float> pattern = default;
        if (Recorder is not null)
        {
            int patternRow = _cfg.NHeads * SeqLen;
            if (_pattern.Length < vs.TotalRows * patternRow) _pattern = new float[vs.TotalRows * patternRow];
            pattern = _pattern;
        }
        _block.AttendWithPrefix(rows, l, _corrupt, CollectionsMarshal.AsSpan(vs.Pair),
            CollectionsMarshal.AsSpan(vs.Start), CollectionsMarshal.AsSpan(vs.RowOffset), _padLeft, SeqLen, pattern, Tap);
    }

    private void AttentionOutput(Variants vs, int l) => _block.AttentionOutput(Rows(vs), l, Tap);

    private void MlpHalf(Variants vs, int l) => _block.Mlp(Rows(vs), l, Tap);

    // the recorder's view of each step's buffer
    void IBlockTap.After(HookPoint point, int layer)
    {
        int M = _cfg.DMlp;
        switch (point)
        {
            case HookPoint.ResidPre or HookPoint.ResidMid or HookPoint.ResidPost: Record(point, layer, _r.Resid, C); break;
            case HookPoint.Q: Record(point, layer, _r.Qkv, 3 * C); break;
            case HookPoint.K: Record(point, layer, _r.Qkv.AsSpan(C), 3 * C); break;
            case HookPoint.V: Record(point, layer, _r.Qkv.AsSpan(2 * C), 3 * C); break;
            case HookPoint.Pattern: Record(point, layer, _pattern, _cfg.NHeads * SeqLen); break;
            case HookPoint.Z: Record(point, layer, _r.Z, C); break;
            case HookPoint.AttnOut: Record(point, layer, _r.AttnOut, C); break;
            case HookPoint.MlpPre: Record(point, layer, _r.MlpPre, M); break;
            case HookPoint.MlpPost: Record(point, layer, _r.MlpPost, M); break;
            case HookPoint.MlpOut: Record(point, layer, _r.MlpOut, C); break;
        }
    }

    private void Record(HookPoint point, int layer, ReadOnlySpan<float> rows, int rowStride)
    {
        var vs = _running;
        Recorder!(point, layer, vs, rows.Slice(0, Math.Min(rows.Length, vs.TotalRows * rowStride)), rowStride);
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
            _r.Resid.AsSpan(row * C, C).CopyTo(_r.Resid.AsSpan(v * C, C));
            if (withHeadOutputs) _r.Z.AsSpan(row * C, C).CopyTo(_r.Z.AsSpan(v * C, C));
        }
        return compact;
    }

    // the batch's metric of each variant, from its last row
    private float[] Metric(Variants vs)
    {
        var rows = new float[vs.Count * C];
        var pairs = new int[vs.Count];
        for (int v = 0; v < vs.Count; v++)
        {
            int row = vs.RowOffset[v] + vs.Rows(v, SeqLen) - 1;
            _r.Resid.AsSpan(row * C, C).CopyTo(rows.AsSpan(v * C, C));
            pairs[v] = vs.Pair[v];
        }
        var result = new float[vs.Count];
        _data.Metric.Evaluate(_w, pairs, rows, result);
        return result;
    }

    private void Ensure(int rows)
    {
        if (_r.Resid.Length >= rows * C) return;
        int cap = Math.Max(rows, _r.Resid.Length / C * 2), M = _cfg.DMlp;
        _r.Resid = new float[cap * C]; _r.LnOut = new float[cap * C]; _r.Centered = new float[cap * C]; _r.Scale = new float[cap];
        _r.Qkv = new float[cap * 3 * C]; _r.Z = new float[cap * C];
        _r.AttnOut = _r.MlpOut = new float[cap * C];
        _r.MlpPre = _r.MlpPost = new float[cap * M];
    }
}
