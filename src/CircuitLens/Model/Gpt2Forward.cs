// The GPT-2 forward pass, top to bottom, with a hook point between every step:
//   x = wte[tokens] + wpe[pos]
//   for each block: x += attn(ln_1(x)); x += mlp(ln_2(x))
//   logits = ln_f(x) · wteᵀ
// It owns no state but its workspace; weights are shared and read-only.
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CircuitLens.Hooks;
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;

namespace CircuitLens.Model;

internal sealed class Gpt2Forward
{
    private readonly Gpt2Weights _w;
    private readonly Gpt2Config _cfg;
    private ForwardWorkspace? _ws;

    public Gpt2Forward(Gpt2Weights weights)
    {
        _w = weights;
        _cfg = weights.Config;
    }

    public ForwardResult Run(TokenBatch batch, ForwardOptions options, HookRegistry hooks)
    {
        int B = batch.BatchSize, T = batch.SeqLen, C = _cfg.DModel;
        if (T > _cfg.NCtx) throw new CircuitLensException($"sequence of {T} tokens is longer than the model's context ({_cfg.NCtx})");
        int start = options.StartAtLayer, stop = options.StopAtLayer ?? _cfg.NLayers;
        if (start < 0 || start > _cfg.NLayers || stop < start || stop > _cfg.NLayers)
            throw new ArgumentOutOfRangeException(nameof(options), $"layers [{start}, {stop}) out of range for {_cfg.NLayers} layers");

        var ws = _ws is { } cached && cached.B == B && cached.T == T ? cached : _ws = new ForwardWorkspace(_cfg, B, T);
        for (int b = 0; b < B; b++) ws.PadLeft[b] = batch.PadLeft(b);

        if (start == 0) Embed(ws, batch, hooks);
        else
        {
            var sr = options.StartResidual ?? throw new ArgumentException("StartAtLayer > 0 needs StartResidual");
            if (sr.Length != B * T * C) throw new ArgumentException($"StartResidual has shape {sr.ShapeString}, expected [{B}, {T}, {C}]");
            sr.Data.CopyTo(ws.Resid.Data, 0);
        }

        for (int l = start; l < stop; l++) Block(ws, l, batch, hooks);

        if (options.StopAtLayer is not null || options.Logits == LogitsMode.None)
            return new ForwardResult(null, ws.Resid.Clone());
        return new ForwardResult(Unembed(ws, batch, options.Logits, hooks), ws.Resid.Clone());
    }

    // tokens is (B,T); wte is (V,C), wpe is (NCtx,C); resid is (B,T,C)
    private void Embed(ForwardWorkspace ws, TokenBatch batch, HookRegistry hooks)
    {
        int B = ws.B, T = ws.T, C = _cfg.DModel;
        var wte = _w.Read(_w.TokenEmbedding);
        var wpe = _w.Read(_w.PositionEmbedding);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
            {
                if (t < ws.PadLeft[b])
                {
                    // pads never reach real positions (masked keys); zero rows keep them finite
                    ws.Embed.Slice(b, t).Clear();
                    ws.PosEmbed.Slice(b, t).Clear();
                    continue;
                }
                int id = batch.Ids[b * T + t];
                if ((uint)id >= (uint)_cfg.VocabSize) throw new CircuitLensException($"token id {id} is outside the vocabulary (size {_cfg.VocabSize})");
                wte.Slice(id * C, C).CopyTo(ws.Embed.Slice(b, t));
                wpe.Slice(batch.PositionId(b, t) * C, C).CopyTo(ws.PosEmbed.Slice(b, t));
            }
        hooks.Fire(HookPoint.Embed, -1, ws.Embed, batch);
        hooks.Fire(HookPoint.PosEmbed, -1, ws.PosEmbed, batch);
        TensorPrimitives.Add(ws.Embed.Span, ws.PosEmbed.Span, ws.Resid.Span);
    }

    private void Block(ForwardWorkspace ws, int l, TokenBatch batch, HookRegistry hooks)
    {
        var lw = _w.Layers[l];
        int B = ws.B, T = ws.T, N = B * T, C = _cfg.DModel, H = _cfg.NHeads, D = _cfg.DHead;

        hooks.Fire(HookPoint.ResidPre, l, ws.Resid, batch);

        // attention: x += attn(ln_1(x))
        LayerNormStep(ws, lw.Ln1Weight, lw.Ln1Bias, HookPoint.Ln1Scale, HookPoint.Ln1Normalized, l, batch, hooks);
        Linear(ws.Qkv.Span, ws.LnOut.Span, lw.QkvWeight, lw.QkvBias, N);
        SplitQkv(ws, N, C);
        hooks.Fire(HookPoint.Q, l, ws.Q, batch);
        hooks.Fire(HookPoint.K, l, ws.K, batch);
        hooks.Fire(HookPoint.V, l, ws.V, batch);
        Attention.ScoresForward(ws.Scores.Span, ws.Q.Span, ws.K.Span, ws.PadLeft, B, T, H, D);
        hooks.Fire(HookPoint.AttnScores, l, ws.Scores, batch);
        Attention.SoftmaxForward(ws.Pattern.Span, ws.Scores.Span, B * H * T, T);
        hooks.Fire(HookPoint.Pattern, l, ws.Pattern, batch);
        Attention.ValuesForward(ws.Z.Span, ws.Pattern.Span, ws.V.Span, B, T, H, D);
        hooks.Fire(HookPoint.Z, l, ws.Z, batch);
        if (hooks.Active(HookPoint.Result, l)) AttnOutViaResult(ws, lw, l, batch, hooks);
        else Linear(ws.AttnOut.Span, ws.Z.Span, lw.AttnOutWeight, lw.AttnOutBias, N);
        hooks.Fire(HookPoint.AttnOut, l, ws.AttnOut, batch);
        TensorPrimitives.Add(ws.Resid.Span, ws.AttnOut.Span, ws.Resid.Span);
        hooks.Fire(HookPoint.ResidMid, l, ws.Resid, batch);

        // MLP: x += mlp(ln_2(x))
        LayerNormStep(ws, lw.Ln2Weight, lw.Ln2Bias, HookPoint.Ln2Scale, HookPoint.Ln2Normalized, l, batch, hooks);
        Linear(ws.MlpPre.Span, ws.LnOut.Span, lw.MlpInWeight, lw.MlpInBias, N);
        hooks.Fire(HookPoint.MlpPre, l, ws.MlpPre, batch);
        Activate(ws.MlpPost.Span, ws.MlpPre.Span);
        hooks.Fire(HookPoint.MlpPost, l, ws.MlpPost, batch);
        Linear(ws.MlpOut.Span, ws.MlpPost.Span, lw.MlpOutWeight, lw.MlpOutBias, N);
        hooks.Fire(HookPoint.MlpOut, l, ws.MlpOut, batch);
        TensorPrimitives.Add(ws.Resid.Span, ws.MlpOut.Span, ws.Resid.Span);
        hooks.Fire(HookPoint.ResidPost, l, ws.Resid, batch);
    }

    private void LayerNormStep(ForwardWorkspace ws, ParamView weight, ParamView bias, HookPoint scalePoint, HookPoint normPoint, int l, TokenBatch batch, HookRegistry hooks)
    {
        int N = ws.B * ws.T, C = _cfg.DModel;
        LayerNorm.ScaleForward(ws.Centered.Span, ws.Scale.Span, ws.Resid.Span, N, C, _cfg.LayerNormEps);
        hooks.Fire(scalePoint, l, ws.Scale, batch);
        LayerNorm.NormalizeForward(ws.LnOut.Span, ws.Centered.Span, ws.Scale.Span, _w.Read(weight), _w.Read(bias), N, C);
        hooks.Fire(normPoint, l, ws.LnOut, batch);
    }

    // qkv is (N,3C) → q, k, v each (N,C) = (B,T,NH,HS)
    private static void SplitQkv(ForwardWorkspace ws, int n, int c)
    {
        var qkv = ws.Qkv.Span;
        var q = ws.Q.Span; var k = ws.K.Span; var v = ws.V.Span;
        for (int i = 0; i < n; i++)
        {
            var row = qkv.Slice(i * 3 * c, 3 * c);
            row.Slice(0, c).CopyTo(q.Slice(i * c, c));
            row.Slice(c, c).CopyTo(k.Slice(i * c, c));
            row.Slice(2 * c, c).CopyTo(v.Slice(i * c, c));
        }
    }

    // z is (B,T,NH,HS), W_O rows h*HS..(h+1)*HS are head h's; result is (B,T,NH,C); attn_out = Σ_h result + b_O
    private void AttnOutViaResult(ForwardWorkspace ws, LayerWeights lw, int l, TokenBatch batch, HookRegistry hooks)
    {
        int N = ws.B * ws.T, C = _cfg.DModel, H = _cfg.NHeads, D = _cfg.DHead;
        var result = ws.Result;
        var wo = _w.Read(lw.AttnOutWeight);
        for (int h = 0; h < H; h++)
            Gemm.MatMul(result.Span.Slice(h * C), H * C, ws.Z.Span.Slice(h * D), C, wo.Slice(h * D * C), C, N, D, C);
        hooks.Fire(HookPoint.Result, l, result, batch);
        var bias = _w.Read(lw.AttnOutBias);
        var outSpan = ws.AttnOut.Span;
        for (int i = 0; i < N; i++)
        {
            var o = outSpan.Slice(i * C, C);
            bias.CopyTo(o);
            for (int h = 0; h < H; h++) TensorPrimitives.Add(o, result.Span.Slice((i * H + h) * C, C), o);
        }
    }

    private void Activate(Span<float> output, ReadOnlySpan<float> input)
    {
        if (_cfg.Activation == "gelu") Gelu.ErfForward(output, input);
        else Gelu.TanhForward(output, input);
    }

    private void Linear(Span<float> output, ReadOnlySpan<float> input, ParamView weight, ParamView bias, int n) =>
        Model.Linear.Forward(output, input, _w, weight, bias, n);

    // final LayerNorm then the tied unembedding: logits (B,P,V) = ln_f(x)·wteᵀ at P positions
    private Tensor Unembed(ForwardWorkspace ws, TokenBatch batch, LogitsMode mode, HookRegistry hooks)
    {
        int B = ws.B, T = ws.T, C = _cfg.DModel, V = _cfg.VocabSize;
        bool lastOnly = mode == LogitsMode.LastPosition && !hooks.Active(HookPoint.LnFinalScale) && !hooks.Active(HookPoint.LnFinalNormalized);
        Tensor normalized;
        if (lastOnly)
        {
            // only the B last rows: gather them so the LayerNorm and the unembedding skip T-1 positions
            normalized = Tensor.Zeros(B, 1, C);
            var centered = new float[B * C];
            var scale = new float[B];
            var last = new float[B * C];
            for (int b = 0; b < B; b++) ws.Resid.Slice(b, T - 1).CopyTo(last.AsSpan(b * C, C));
            LayerNorm.ScaleForward(centered, scale, last, B, C, _cfg.LayerNormEps);
            LayerNorm.NormalizeForward(normalized.Span, centered, scale, _w.Read(_w.LnFinalWeight), _w.Read(_w.LnFinalBias), B, C);
        }
        else
        {
            int N = B * T;
            LayerNorm.ScaleForward(ws.Centered.Span, ws.Scale.Span, ws.Resid.Span, N, C, _cfg.LayerNormEps);
            hooks.Fire(HookPoint.LnFinalScale, -1, ws.Scale, batch);
            LayerNorm.NormalizeForward(ws.LnOut.Span, ws.Centered.Span, ws.Scale.Span, _w.Read(_w.LnFinalWeight), _w.Read(_w.LnFinalBias), N, C);
            hooks.Fire(HookPoint.LnFinalNormalized, -1, ws.LnOut, batch);
            if (mode == LogitsMode.LastPosition)
            {
                normalized = Tensor.Zeros(B, 1, C);
                for (int b = 0; b < B; b++) ws.LnOut.Slice(b, T - 1).CopyTo(normalized.Slice(b, 0));
            }
            else normalized = ws.LnOut;
        }
        int p = normalized.Dim(1);
        var logits = Tensor.Zeros(B, p, V);
        Gemm.MatMul(logits.Span, normalized.Span, _w.PackedTransposed(_w.TokenEmbedding), B * p);
        return logits;
    }
}
