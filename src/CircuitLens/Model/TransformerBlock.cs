// One GPT-2 block over a stack of rows, in the steps TransformerLens hooks between:
//   attention half: ln_1 → W_QKV → attend → W_O → x += attn_out
//   MLP half:       ln_2 → W_in → gelu → W_out → x += mlp_out
// "Compute these rows, with this key/value prefix." The full forward pass (Gpt2Forward) computes every row of
// every sequence with an empty prefix: attention within the batch (Attention.ScoresForward → SoftmaxForward →
// ValuesForward). The fast patching engine (SuffixRunner) computes rows start..T−1 of each variant on top of the
// corrupted run's cached keys/values (Attention.PrefixedForward). The row-wise steps are the same code for both.
// Callers own the buffers (BlockRows) and are told after each step (IBlockTap): Gpt2Forward fires its hooks there,
// which may edit the activation in place before the next step reads it; SuffixRunner's recorder reads.
using CircuitLens.Hooks;
using CircuitLens.Tensors.Kernels;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Model;

/// <summary>Told that an activation has just been written to its buffer in <see cref="BlockRows"/>.</summary>
internal interface IBlockTap
{
    void After(HookPoint point, int layer);
}

/// <summary>
/// The rows a block computes, stacked: Count rows of width d_model in Resid, Centered, LnOut, Z, AttnOut, MlpOut;
/// 1 in Scale; 3·d_model in Qkv (q | k | v); d_mlp in MlpPre, MlpPost (they may be one array: gelu runs in place).
/// Q, K, V, Scores, Pattern are only used by attention within a batch (the empty prefix).
/// </summary>
internal sealed class BlockRows
{
    public int Count;
    public float[] Resid = [], Centered = [], Scale = [], LnOut = [], Qkv = [], Z = [], AttnOut = [], MlpPre = [], MlpPost = [], MlpOut = [];
    public float[] Q = [], K = [], V = [], Scores = [], Pattern = [];
}

internal sealed class TransformerBlock
{
    private readonly Gpt2Weights _w;
    private readonly Gpt2Config _cfg;

    public TransformerBlock(Gpt2Weights weights)
    {
        _w = weights;
        _cfg = weights.Config;
    }

    /// <summary>Residual holds resid_pre: ln_1, then q | k | v of every row.</summary>
    public void Qkv(BlockRows r, int l, IBlockTap? tap)
    {
        var lw = _w.Layers[l];
        int N = r.Count, C = _cfg.DModel;
        tap?.After(HookPoint.ResidPre, l);
        LayerNormStep(r, lw.Ln1Weight, lw.Ln1Bias, HookPoint.Ln1Scale, HookPoint.Ln1Normalized, l, tap);
        Linear.Forward(r.Qkv.AsSpan(0, N * 3 * C), r.LnOut.AsSpan(0, N * C), _w, lw.QkvWeight, lw.QkvBias, N);
    }

    /// <summary>Empty prefix: the rows are all T positions of B sequences (Count = B·T); writes Q, K, V, Scores, Pattern and Z.</summary>
    public void AttendWithinBatch(BlockRows r, int l, ReadOnlySpan<int> padLeft, int B, int T, IBlockTap? tap)
    {
        int N = B * T, C = _cfg.DModel, H = _cfg.NHeads, D = _cfg.DHead;
        // qkv is (N,3C) → q, k, v each (N,C) = (B,T,NH,HS)
        var qkv = r.Qkv.AsSpan(0, N * 3 * C);
        for (int i = 0; i < N; i++)
        {
            var row = qkv.Slice(i * 3 * C, 3 * C);
            row.Slice(0, C).CopyTo(r.Q.AsSpan(i * C, C));
            row.Slice(C, C).CopyTo(r.K.AsSpan(i * C, C));
            row.Slice(2 * C, C).CopyTo(r.V.AsSpan(i * C, C));
        }
        tap?.After(HookPoint.Q, l);
        tap?.After(HookPoint.K, l);
        tap?.After(HookPoint.V, l);
        Attention.ScoresForward(r.Scores, r.Q, r.K, padLeft, B, T, H, D);
        tap?.After(HookPoint.AttnScores, l);
        Attention.SoftmaxForward(r.Pattern, r.Scores, B * H * T, T);
        tap?.After(HookPoint.Pattern, l);
        Attention.ValuesForward(r.Z, r.Pattern, r.V, B, T, H, D);
        tap?.After(HookPoint.Z, l);
    }

    /// <summary>
    /// With a prefix: group g is positions start[g]..T−1 of sequence seq[g], from row rowOffset[g]; keys/values before
    /// start[g] come from the prefix's hook_k/hook_v of this layer (B,T,NH,HS), read after the q/k/v taps (a tap may be
    /// what fills the prefix when no group reads it). Writes Z and, when not empty, pattern (Count,NH,T).
    /// </summary>
    public void AttendWithPrefix(BlockRows r, int l, ActivationCache prefix, ReadOnlySpan<int> seq,
        ReadOnlySpan<int> start, ReadOnlySpan<int> rowOffset, ReadOnlySpan<int> padLeft, int T, Span<float> pattern, IBlockTap? tap)
    {
        int N = r.Count, C = _cfg.DModel;
        tap?.After(HookPoint.Q, l);
        tap?.After(HookPoint.K, l);
        tap?.After(HookPoint.V, l);
        Attention.PrefixedForward(r.Z.AsSpan(0, N * C), pattern, r.Qkv.AsSpan(0, N * 3 * C), prefix[HookPoint.K, l].Span, prefix[HookPoint.V, l].Span, seq, start, rowOffset, padLeft,
            seq.Length, T, _cfg.NHeads, _cfg.DHead);
        if (!pattern.IsEmpty) tap?.After(HookPoint.Pattern, l);
        tap?.After(HookPoint.Z, l);
    }

    /// <summary>attn_out = z·W_O + b_O (unless the caller has written AttnOut itself), then x += attn_out.</summary>
    public void AttentionOutput(BlockRows r, int l, IBlockTap? tap, bool attnOutWritten = false)
    {
        var lw = _w.Layers[l];
        int N = r.Count, C = _cfg.DModel;
        if (!attnOutWritten) Linear.Forward(r.AttnOut.AsSpan(0, N * C), r.Z.AsSpan(0, N * C), _w, lw.AttnOutWeight, lw.AttnOutBias, N);
        tap?.After(HookPoint.AttnOut, l);
        TensorPrimitives.Add(r.Resid.AsSpan(0, N * C), r.AttnOut.AsSpan(0, N * C), r.Resid.AsSpan(0, N * C));
        tap?.After(HookPoint.ResidMid, l);
    }

    /// <summary>Residual holds resid_mid: x += mlp(ln_2(x)).</summary>
    public void Mlp(BlockRows r, int l, IBlockTap? tap)
    {
        var lw = _w.Layers[l];
        int N = r.Count, C = _cfg.DModel, M = _cfg.DMlp;
        LayerNormStep(r, lw.Ln2Weight, lw.Ln2Bias, HookPoint.Ln2Scale, HookPoint.Ln2Normalized, l, tap);
        Linear.Forward(r.MlpPre.AsSpan(0, N * M), r.LnOut.AsSpan(0, N * C), _w, lw.MlpInWeight, lw.MlpInBias, N);
        tap?.After(HookPoint.MlpPre, l);
        if (_cfg.Activation == "gelu") Gelu.ErfForward(r.MlpPost.AsSpan(0, N * M), r.MlpPre.AsSpan(0, N * M));
        else Gelu.TanhForward(r.MlpPost.AsSpan(0, N * M), r.MlpPre.AsSpan(0, N * M));
        tap?.After(HookPoint.MlpPost, l);
        Linear.Forward(r.MlpOut.AsSpan(0, N * C), r.MlpPost.AsSpan(0, N * M), _w, lw.MlpOutWeight, lw.MlpOutBias, N);
        tap?.After(HookPoint.MlpOut, l);
        TensorPrimitives.Add(r.Resid.AsSpan(0, N * C), r.MlpOut.AsSpan(0, N * C), r.Resid.AsSpan(0, N * C));
        tap?.After(HookPoint.ResidPost, l);
    }

    private void LayerNormStep(BlockRows r, ParamView weight, ParamView bias, HookPoint scalePoint, HookPoint normPoint, int l, IBlockTap? tap)
    {
        int N = r.Count, C = _cfg.DModel;
        LayerNorm.ScaleForward(r.Centered.AsSpan(0, N * C), r.Scale.AsSpan(0, N), r.Resid.AsSpan(0, N * C), N, C, _cfg.LayerNormEps);
        tap?.After(scalePoint, l);
        LayerNorm.NormalizeForward(r.LnOut.AsSpan(0, N * C), r.Centered.AsSpan(0, N * C), r.Scale.AsSpan(0, N), _w.Read(weight), _w.Read(bias), N, C);
        tap?.After(normPoint, l);
    }
}
