// The GPT-2 backward pass on an ILGPU device: Gpt2Backward's contract (activation gradients from a
// gradient at the final residual stream, no weight gradients), computed from the activations of a device
// forward run (IlgpuForward.RunOnDevice into a DeviceActivations holding Gpt2Backward.NeedsInCache's
// names), block by block, last first: mlp (W_outᵀ, GELU', W_inᵀ), ln_2, W_Oᵀ, attention (d pattern,
// softmax, d q, d k, d v under the causal and left-padding masks), W_qkvᵀ, ln_1; the residual stream's
// gradient accumulates in place. Kept gradients are device copies with the activations' (B,T,…) shapes
// (hook_pattern and hook_attn_scores (B,NH,T,T)). What crosses the bus: the (B,C) seed and the pad counts.
// Unlike the CPU pass it computes every row (a GPU gains nothing from skipping the rows before the first
// difference or the last block's upper rows, which are exactly zero); hook_attn_result's gradient is not
// offered (no sweep reads it; the CPU pass gives it).
using ILGPU;
using ILGPU.Runtime;
using CircuitLens.Hooks;

namespace CircuitLens.Model.Devices;

internal sealed class IlgpuBackward : IDisposable
{
    private readonly IlgpuForward _fwd;
    private readonly IlgpuDevice _dev;
    private readonly Gpt2Weights _w;
    private readonly Gpt2Config _cfg;
    private readonly DeviceActivations _acts;
    private readonly DeviceActivations _grads;
    private readonly int B, T, N, C, H, D, M;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _padLeft;
    private readonly DeviceTensor _dResid, _dLn, _dScale, _dZ, _dQ, _dK, _dV, _dQkv, _dPattern, _dScores, _dMlpPost, _dMlpPre;

    private IlgpuBackward(IlgpuForward forward, TokenBatch batch, DeviceActivations activations, DeviceActivations grads)
    {
        _fwd = forward; _dev = forward.Device; _w = forward.Weights; _cfg = _w.Config; _acts = activations; _grads = grads;
        B = batch.BatchSize; T = batch.SeqLen; N = B * T;
        C = _cfg.DModel; H = _cfg.NHeads; D = _cfg.DHead; M = _cfg.DMlp;
        var pad = new int[B];
        for (int b = 0; b < B; b++) pad[b] = batch.PadLeft(b);
        _padLeft = _dev.Accelerator.Allocate1D(pad);
        _dResid = new DeviceTensor(_dev, B, T, C); _dLn = new DeviceTensor(_dev, B, T, C); _dScale = new DeviceTensor(_dev, B, T, 1);
        _dZ = new DeviceTensor(_dev, B, T, H, D); _dQ = new DeviceTensor(_dev, B, T, H, D); _dK = new DeviceTensor(_dev, B, T, H, D); _dV = new DeviceTensor(_dev, B, T, H, D);
        _dQkv = new DeviceTensor(_dev, B, T, 3 * C);
        _dPattern = new DeviceTensor(_dev, B, H, T, T); _dScores = new DeviceTensor(_dev, B, H, T, T);
        _dMlpPost = new DeviceTensor(_dev, B, T, M); _dMlpPre = new DeviceTensor(_dev, B, T, M);
    }

    /// <summary>
    /// ∂metric/∂activation, on the device, for every hook point whose name passes <paramref name="keep"/> (hook_attn_result and
    /// ln_final's hooks excepted), given <paramref name="finalResidualGradient"/> (B,C) at each example's last position of the
    /// final residual. <paramref name="activations"/> holds a device forward run of <paramref name="batch"/> with at least
    /// Gpt2Backward.NeedsInCache's names. The caller disposes the result.
    /// </summary>
    public static DeviceActivations Gradients(IlgpuForward forward, TokenBatch batch, DeviceActivations activations,
        ReadOnlySpan<float> finalResidualGradient, Func<string, bool> keep)
    {
        var cfg = forward.Weights.Config;
        if (finalResidualGradient.Length != batch.BatchSize * cfg.DModel)
            throw new ArgumentException($"the final-residual gradient has {finalResidualGradient.Length} values, not {batch.BatchSize} examples × {cfg.DModel}", nameof(finalResidualGradient));
        foreach (var name in HookNames.All(cfg.NLayers))
        {
            if (!Gpt2Backward.NeedsInCache(name, cfg.NLayers)) continue;
            if (!activations.Contains(name)) throw new ArgumentException($"the device activations lack '{name}', which the backward pass needs", nameof(activations));
            var shape = activations[name].Shape;
            int timeAxis = name.EndsWith(HookNames.Suffix(HookPoint.Pattern), StringComparison.Ordinal) ? 2 : 1;
            if (shape[0] != batch.BatchSize || shape[timeAxis] != batch.SeqLen)
                throw new ArgumentException($"device activation '{name}' has shape [{string.Join(", ", shape)}], not that of a [{batch.BatchSize}, {batch.SeqLen}] batch", nameof(activations));
        }
        var grads = new DeviceActivations(forward.Device, keep);
        try
        {
            using var pass = new IlgpuBackward(forward, batch, activations, grads);
            pass.Seed(finalResidualGradient);
            for (int l = cfg.NLayers - 1; l >= 0; l--) pass.BlockBackward(l);
            grads.Keep(HookPoint.Embed, -1, pass._dResid);
            grads.Keep(HookPoint.PosEmbed, -1, pass._dResid);
            return grads;
        }
        catch
        {
            grads.Dispose();
            throw;
        }
    }

    // the metric's gradient enters at each example's last row of the final residual stream; other rows get nothing
    private void Seed(ReadOnlySpan<float> dFinal)
    {
        using var seed = _dev.Allocate(B * C);
        seed.View.CopyFromCPU(dFinal.ToArray());
        _dev.NoteTransfer(dFinal.Length * sizeof(float) + B * sizeof(int), 0);   // the seed and the pad counts
        _dev.SeedLastRows(N * C, _dResid.View, seed.View, T, C);
        _dev.Accelerator.Synchronize();
    }

    private ArrayView<float> W(ParamView p) => _fwd.Param(p);

    private void BlockBackward(int l)
    {
        var lw = _w.Layers[l];
        Keep(HookPoint.ResidPost, l, _dResid);
        Keep(HookPoint.MlpOut, l, _dResid);

        // MLP: x += mlp(ln_2(x))
        Linear(_dMlpPost.View, _dResid.View, lw.MlpOutWeight);                      // dpost (N,M) = dout (N,C) · W_outᵀ
        Keep(HookPoint.MlpPost, l, _dMlpPost);
        if (_cfg.Activation == "gelu") _dev.GeluErfBackward(N * M, _dMlpPre.View, _dMlpPost.View, _acts[HookPoint.MlpPre, l].View);
        else _dev.GeluTanhBackward(N * M, _dMlpPre.View, _dMlpPost.View, _acts[HookPoint.MlpPre, l].View);
        Keep(HookPoint.MlpPre, l, _dMlpPre);
        Linear(_dLn.View, _dMlpPre.View, lw.MlpInWeight);                           // dln (N,C) = dpre (N,M) · W_inᵀ
        LayerNormBackward(lw.Ln2Weight, HookPoint.Ln2Normalized, HookPoint.Ln2Scale, HookPoint.ResidMid, l);
        Keep(HookPoint.ResidMid, l, _dResid);
        Keep(HookPoint.AttnOut, l, _dResid);

        // attention: x += attn(ln_1(x))
        Linear(_dZ.View, _dResid.View, lw.AttnOutWeight);                           // dz (N,C) = dattn_out · W_Oᵀ
        Keep(HookPoint.Z, l, _dZ);
        var pattern = _acts[HookPoint.Pattern, l].View;
        _dev.AttentionPatternBackward(B * H * T * T, _dPattern.View, _dZ.View, _acts[HookPoint.V, l].View, T, H, D);
        Keep(HookPoint.Pattern, l, _dPattern);
        _dev.SoftmaxBackward(B * H * T, _dScores.View, _dPattern.View, pattern, T);
        Keep(HookPoint.AttnScores, l, _dScores);
        _dev.AttentionQueryBackward(N * C, _dQ.View, _dScores.View, _acts[HookPoint.K, l].View, _padLeft.View, T, H, D);
        _dev.AttentionKeyValueBackward(N * C, _dK.View, _dV.View, _dScores.View, pattern, _acts[HookPoint.Q, l].View, _dZ.View, _padLeft.View,
            new AttentionShape(T, H, D));
        Keep(HookPoint.Q, l, _dQ);
        Keep(HookPoint.K, l, _dK);
        Keep(HookPoint.V, l, _dV);
        _dev.MergeQkv(N * C, _dQkv.View, _dQ.View, _dK.View, _dV.View, C);
        Linear(_dLn.View, _dQkv.View, lw.QkvWeight);                                // dln (N,C) = dqkv (N,3C) · W_qkvᵀ
        LayerNormBackward(lw.Ln1Weight, HookPoint.Ln1Normalized, HookPoint.Ln1Scale, HookPoint.ResidPre, l);
        Keep(HookPoint.ResidPre, l, _dResid);
    }

    // dy is (N,OC), weight is (K,OC) (x·W in the forward), dx (N,K) = dy·Wᵀ
    private void Linear(ArrayView<float> dx, ArrayView<float> dy, ParamView weight)
    {
        int k = weight.Shape[0], oc = weight.Shape[1];
        _dev.MatMul(dx, dy, W(weight), null, N, k, oc, oc, oc, k, transB: true);
    }

    // _dLn holds d ln(x); adds the LayerNorm's input gradient into _dResid (the residual branch already there)
    private void LayerNormBackward(ParamView weight, HookPoint normPoint, HookPoint scalePoint, HookPoint inputPoint, int l)
    {
        Keep(normPoint, l, _dLn);
        _dev.LayerNormBackward(N, _dResid.View, _dScale.View, _dLn.View, _acts[inputPoint, l].View, W(weight), C, _cfg.LayerNormEps);
        Keep(scalePoint, l, _dScale);
    }

    private void Keep(HookPoint point, int layer, DeviceTensor gradient) => _grads.Keep(point, layer, gradient);

    public void Dispose()
    {
        _padLeft.Dispose();
        foreach (var t in new[] { _dResid, _dLn, _dScale, _dZ, _dQ, _dK, _dV, _dQkv, _dPattern, _dScores, _dMlpPost, _dMlpPre }) t.Dispose();
    }
}
