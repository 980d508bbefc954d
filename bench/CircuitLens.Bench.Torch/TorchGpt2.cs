// GPT-2's forward pass in TorchSharp (LibTorch), written the way TransformerLens' HookedTransformer runs it,
// so that the PyTorch side of the comparison does the same operations PyTorch users run: embedding + learned
// positions (left padding shifts the position ids as TransformerLens' offset positions do), per block
// LayerNorm → attention (q, k, v as [B, T, H, Dh], causal + padding mask with -inf, softmax, NaN rows of
// all-pad queries set to 0) → W_O → residual, LayerNorm → MLP with gelu_new (TransformerLens' tanh formula)
// or exact gelu → residual, final LayerNorm and the tied unembedding (wte transposed, no bias). float32.
// Hook points carry TransformerLens' names; a hook sees the activation and returns it (or a replacement).
// The weights are the CircuitLens model's own buffer, copied once to torch's device. LayerNorm is not folded
// into the weights (TransformerLens' fold_ln is a rewrite with the same result, up to rounding).
using CircuitLens.Hooks;
using CircuitLens.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CircuitLens.Bench.Torch;

/// <summary>A hook at one TransformerLens hook point: gets the activation, returns it or its replacement.</summary>
public delegate Tensor TorchHook(Tensor activation);

public sealed class TorchGpt2 : IDisposable
{
    private sealed record Block(Tensor Ln1W, Tensor Ln1B, Tensor Qkv, Tensor QkvB, Tensor Out, Tensor OutB,
        Tensor Ln2W, Tensor Ln2B, Tensor FcIn, Tensor FcInB, Tensor FcOut, Tensor FcOutB);

    private readonly Tensor _wte, _wteT, _wpe, _lnFW, _lnFB;
    private readonly Block[] _blocks;
    private readonly List<Tensor> _all = [];

    public Gpt2Config Config { get; }
    public Device Device { get; }

    public TorchGpt2(Gpt2Weights weights, Device device)
    {
        Config = weights.Config;
        Device = device;
        Tensor T(ParamView v)
        {
            var t = tensor(weights.Read(v).ToArray(), v.Shape.Select(d => (long)d).ToArray(), ScalarType.Float32);
            if (device.type != DeviceType.CPU)
            {
                var host = t;
                t = host.to(device);   // upload once; the host copy is freed at once
                host.Dispose();
            }
            _all.Add(t);
            return t;
        }
        _wte = T(weights.TokenEmbedding);
        _wteT = _wte.t();   // the tied unembedding W_U = wte^T (a view)
        _wpe = T(weights.PositionEmbedding);
        _blocks = weights.Layers.Select(l => new Block(T(l.Ln1Weight), T(l.Ln1Bias), T(l.QkvWeight), T(l.QkvBias), T(l.AttnOutWeight), T(l.AttnOutBias),
            T(l.Ln2Weight), T(l.Ln2Bias), T(l.MlpInWeight), T(l.MlpInBias), T(l.MlpOutWeight), T(l.MlpOutBias))).ToArray();
        _lnFW = T(weights.LnFinalWeight);
        _lnFB = T(weights.LnFinalBias);
    }

    /// <summary>
    /// Logits of a left-padded batch: [B, V] at the last position (<paramref name="allPositions"/> false, as the
    /// CircuitLens engines and `bench forward` compute them) or [B, T, V]. <paramref name="hooks"/> maps hook names
    /// (`blocks.3.attn.hook_z`) to hooks. The result belongs to the caller's dispose scope.
    /// </summary>
    public Tensor Run(TokenBatch batch, bool allPositions = false, IReadOnlyDictionary<string, TorchHook>? hooks = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int B = batch.BatchSize, T = batch.SeqLen, C = Config.DModel, H = Config.NHeads, Dh = Config.DHead;
        Tensor Hook(Tensor x, HookPoint p, int layer = -1) =>
            hooks is not null && hooks.TryGetValue(HookNames.Name(p, layer), out var h) ? h(x) : x;

        var ids = tensor(batch.Ids.Select(i => (long)i).ToArray(), [B, T], ScalarType.Int64).to(Device);
        var positions = new long[B * T];
        var keyReal = new bool[B * T];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) { positions[b * T + t] = batch.PositionId(b, t); keyReal[b * T + t] = t >= batch.PadLeft(b); }
        var pos = tensor(positions, [B, T], ScalarType.Int64).to(Device);
        // allowed[b, 1, q, k] = k ≤ q and k is a real token
        var allowed = ones(T, T, ScalarType.Bool, Device).tril().unsqueeze(0).unsqueeze(0)
            .logical_and(tensor(keyReal, [B, 1, 1, T]).to(Device));

        var embed = Hook(_wte.index_select(0, ids.flatten()).reshape(B, T, C), HookPoint.Embed);   // W_E[tokens]
        var posEmbed = Hook(_wpe.index_select(0, pos.flatten()).reshape(B, T, C), HookPoint.PosEmbed);   // W_pos[offset positions]
        var resid = embed + posEmbed;
        for (int l = 0; l < _blocks.Length; l++)
        {
            // a block's intermediates are freed when it ends (Python's reference counting does the same for TransformerLens)
            using var block = NewDisposeScope();
            var w = _blocks[l];
            resid = Hook(resid, HookPoint.ResidPre, l);
            var x = nn.functional.layer_norm(resid, [C], w.Ln1W, w.Ln1B, Config.LayerNormEps);
            var qkv = x.matmul(w.Qkv) + w.QkvB;   // [B, T, 3C]: q | k | v
            var q = Hook(qkv.narrow(2, 0, C).reshape(B, T, H, Dh), HookPoint.Q, l);
            var k = Hook(qkv.narrow(2, C, C).reshape(B, T, H, Dh), HookPoint.K, l);
            var v = Hook(qkv.narrow(2, 2 * C, C).reshape(B, T, H, Dh), HookPoint.V, l);
            var scores = einsum("bqhd,bkhd->bhqk", q, k) / MathF.Sqrt(Dh);
            scores = Hook(scores.masked_fill(allowed.logical_not(), float.NegativeInfinity), HookPoint.AttnScores, l);
            var pattern = scores.softmax(-1);
            pattern = Hook(where(pattern.isnan(), zeros_like(pattern), pattern), HookPoint.Pattern, l);   // all-pad query rows
            var z = Hook(einsum("bhqk,bkhd->bqhd", pattern, v), HookPoint.Z, l);
            var attnOut = Hook(z.reshape(B, T, C).matmul(w.Out) + w.OutB, HookPoint.AttnOut, l);
            resid = Hook(resid + attnOut, HookPoint.ResidMid, l);
            x = nn.functional.layer_norm(resid, [C], w.Ln2W, w.Ln2B, Config.LayerNormEps);
            var pre = Hook(x.matmul(w.FcIn) + w.FcInB, HookPoint.MlpPre, l);
            var post = Hook(Activation(pre), HookPoint.MlpPost, l);
            var mlpOut = Hook(post.matmul(w.FcOut) + w.FcOutB, HookPoint.MlpOut, l);
            resid = Hook(resid + mlpOut, HookPoint.ResidPost, l).MoveToOuterDisposeScope();
        }
        var last = allPositions ? resid : resid.select(1, T - 1);
        var logits = nn.functional.layer_norm(last, [C], _lnFW, _lnFB, Config.LayerNormEps).matmul(_wteT);
        return logits.MoveToOuterDisposeScope();
    }

    // TransformerLens' gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); "gelu" is the exact erf form
    private Tensor Activation(Tensor x) => Config.Activation == "gelu"
        ? nn.functional.gelu(x)
        : 0.5 * x * (1.0 + tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x.pow(3.0))));

    public void Dispose()
    {
        _wteT.Dispose();
        foreach (var t in _all) t.Dispose();
    }
}
