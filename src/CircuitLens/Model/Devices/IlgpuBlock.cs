// One GPT-2 block on an ILGPU device over a stack of rows: the device twin of TransformerBlock, in the
// steps TransformerLens hooks between:
//   attention half: ln_1 → W_QKV → attend → W_O → x += attn_out
//   MLP half:       ln_2 → W_in → gelu → W_out → x += mlp_out
// "Compute these rows, with this key/value prefix." The full device forward (IlgpuForward) computes every
// row of every sequence with an empty prefix (attention within the batch: scores → softmax → values); the
// device suffix runner of the fast patching engine computes rows start..T−1 of each variant on top of the
// corrupted run's keys/values kept on the device (prefixed scores → softmax → prefixed values). The row-wise
// steps are the same code for both. Callers own the buffers (DeviceBlockRows) and are told after each step
// (IDeviceBlockTap): IlgpuForward fires its hooks there (a host copy that may be edited and goes back).
using ILGPU;
using ILGPU.Runtime;
using CircuitLens.Hooks;

namespace CircuitLens.Model.Devices;

/// <summary>Told that an activation has just been written to its buffer in <see cref="DeviceBlockRows"/>.</summary>
internal interface IDeviceBlockTap
{
    void After(HookPoint point, int layer);
}

/// <summary>
/// The device rows a block computes, stacked: Count rows of width d_model in Resid, Centered, LnOut, Z, AttnOut, MlpOut;
/// 1 in Scale; 3·d_model in Qkv (q | k | v); d_mlp in MlpPre, MlpPost. Q, K, V, Scores are used by attention within a
/// batch ((B,T,NH,HS) and (B,NH,T,T)); with a prefix, Scores and Pattern are (Count,NH,T) and Q, K, V are not used.
/// </summary>
internal sealed class DeviceBlockRows
{
    public int Count;
    public ArrayView<float> Resid, Centered, Scale, LnOut, Qkv, Q, K, V, Scores, Pattern, Z, AttnOut, MlpPre, MlpPost, MlpOut;
}

/// <summary>Where each variant's stacked rows are and which prefix they attend to (see IlgpuKernels.Suffix).</summary>
internal readonly record struct DevicePrefix(ArrayView<float> K, ArrayView<float> V, ArrayView<int> Meta, ArrayView<int> PadLeft, int T);

internal sealed class IlgpuBlock
{
    private readonly IlgpuDevice _dev;
    private readonly Gpt2Weights _w;
    private readonly Gpt2Config _cfg;
    private readonly ArrayView<float> _weights;

    public IlgpuBlock(IlgpuDevice device, Gpt2Weights weights, ArrayView<float> deviceWeights)
    {
        _dev = device;
        _w = weights;
        _cfg = weights.Config;
        _weights = deviceWeights;
    }

    public IlgpuDevice Device => _dev;
    public Gpt2Config Config => _cfg;

    public ArrayView<float> W(ParamView p) => _weights.SubView(p.Offset, p.Length);

    /// <summary>Residual holds resid_pre: ln_1, then q | k | v of every row.</summary>
    public void Qkv(DeviceBlockRows r, int l, IDeviceBlockTap? tap)
    {
        var lw = _w.Layers[l];
        tap?.After(HookPoint.ResidPre, l);
        LayerNormStep(r, r.Count, lw.Ln1Weight, lw.Ln1Bias, HookPoint.Ln1Scale, HookPoint.Ln1Normalized, l, tap);
        Linear(r.Qkv, r.LnOut, lw.QkvWeight, lw.QkvBias, r.Count);
    }

    /// <summary>Empty prefix: the rows are all T positions of B sequences (Count = B·T); writes Q, K, V, Scores, Pattern and Z.</summary>
    public void AttendWithinBatch(DeviceBlockRows r, int l, ArrayView<int> padLeft, int B, int T, IDeviceBlockTap? tap)
    {
        int N = B * T, C = _cfg.DModel, H = _cfg.NHeads, D = _cfg.DHead;
        _dev.SplitQkv(N * C, r.Q, r.K, r.V, r.Qkv, C);
        tap?.After(HookPoint.Q, l);
        tap?.After(HookPoint.K, l);
        tap?.After(HookPoint.V, l);
        _dev.Scores(B * H * T * T, r.Scores, r.Q, r.K, padLeft, T, H, D);
        tap?.After(HookPoint.AttnScores, l);
        _dev.Softmax(B * H * T, r.Pattern, r.Scores, T);
        tap?.After(HookPoint.Pattern, l);
        _dev.Values(N * C, r.Z, r.Pattern, r.V, T, H, D);
        tap?.After(HookPoint.Z, l);
    }

    /// <summary>
    /// With a prefix: every row's query attends to the prefix's keys/values before its variant's start and to its own
    /// variant's rows from there (Attention.PrefixedForward's rule). Writes Scores, Pattern (Count,NH,T) and Z.
    /// </summary>
    public void AttendWithPrefix(DeviceBlockRows r, int l, DevicePrefix prefix, IDeviceBlockTap? tap)
    {
        int N = r.Count, H = _cfg.NHeads, D = _cfg.DHead, T = prefix.T;
        var shape = new PrefixShape(T, H, D);
        _dev.PrefixedScores(N * H * T, r.Scores, r.Qkv, prefix.K, prefix.Meta, prefix.PadLeft, shape);
        _dev.Softmax(N * H, r.Pattern, r.Scores, T);
        tap?.After(HookPoint.Pattern, l);
        _dev.PrefixedValues(N * H * D, r.Z, r.Pattern, r.Qkv, prefix.V, prefix.Meta, prefix.PadLeft, shape);
        tap?.After(HookPoint.Z, l);
    }

    /// <summary>attn_out = z·W_O + b_O (unless the caller has written AttnOut itself), then x += attn_out.</summary>
    public void AttentionOutput(DeviceBlockRows r, int l, IDeviceBlockTap? tap, bool attnOutWritten = false)
    {
        var lw = _w.Layers[l];
        int N = r.Count, C = _cfg.DModel;
        if (!attnOutWritten) Linear(r.AttnOut, r.Z, lw.AttnOutWeight, lw.AttnOutBias, N);
        tap?.After(HookPoint.AttnOut, l);
        _dev.Add(N * C, r.Resid, r.Resid, r.AttnOut);
        tap?.After(HookPoint.ResidMid, l);
    }

    /// <summary>Residual holds resid_mid: x += mlp(ln_2(x)).</summary>
    public void Mlp(DeviceBlockRows r, int l, IDeviceBlockTap? tap)
    {
        var lw = _w.Layers[l];
        int N = r.Count, C = _cfg.DModel, M = _cfg.DMlp;
        LayerNormStep(r, N, lw.Ln2Weight, lw.Ln2Bias, HookPoint.Ln2Scale, HookPoint.Ln2Normalized, l, tap);
        Linear(r.MlpPre, r.LnOut, lw.MlpInWeight, lw.MlpInBias, N);
        tap?.After(HookPoint.MlpPre, l);
        if (_cfg.Activation == "gelu") _dev.GeluErf(N * M, r.MlpPost, r.MlpPre);
        else _dev.GeluTanh(N * M, r.MlpPost, r.MlpPre);
        tap?.After(HookPoint.MlpPost, l);
        Linear(r.MlpOut, r.MlpPost, lw.MlpOutWeight, lw.MlpOutBias, N);
        tap?.After(HookPoint.MlpOut, l);
        _dev.Add(N * C, r.Resid, r.Resid, r.MlpOut);
        tap?.After(HookPoint.ResidPost, l);
    }

    // resid (n,C) → centered (n,C), scale (n), out (n,C)
    public void LayerNormStep(DeviceBlockRows r, int n, ParamView weight, ParamView bias, HookPoint scalePoint, HookPoint normPoint, int l, IDeviceBlockTap? tap)
    {
        int C = _cfg.DModel;
        _dev.LayerNormScale(n, r.Centered, r.Scale, r.Resid, C, _cfg.LayerNormEps);
        tap?.After(scalePoint, l);
        _dev.LayerNormNormalize(n * C, r.LnOut, r.Centered, r.Scale, W(weight), W(bias), C);
        tap?.After(normPoint, l);
    }

    // inp is (N,K), weight is (K,OC), bias (OC), out (N,OC)
    public void Linear(ArrayView<float> output, ArrayView<float> input, ParamView weight, ParamView bias, int n)
    {
        int k = weight.Shape[0], oc = weight.Shape[1];
        _dev.MatMul(output, input, W(weight), W(bias), n, oc, k, k, oc, oc, transB: false);
    }
}
