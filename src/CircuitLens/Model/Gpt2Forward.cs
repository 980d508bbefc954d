// The GPT-2 forward pass, top to bottom, with a hook point between every step:
//   x = wte[tokens] + wpe[pos]
//   for each block (TransformerBlock): x += attn(ln_1(x)); x += mlp(ln_2(x))
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
    private BlockRows? _rows;
    private readonly TransformerBlock _block;
    private readonly HookTap _tap = new();

    public Gpt2Forward(Gpt2Weights weights)
    {
        _w = weights;
        _cfg = weights.Config;
        _block = new TransformerBlock(weights);
    }

    public ForwardResult Run(TokenBatch batch, ForwardOptions options, HookRegistry hooks)
    {
        int B = batch.BatchSize, T = batch.SeqLen, C = _cfg.DModel;
        if (T > _cfg.NCtx) throw new CircuitLensException($"sequence of {T} tokens is longer than the model's context ({_cfg.NCtx})");
        int start = options.StartAtLayer, stop = options.StopAtLayer ?? _cfg.NLayers;
        if (start < 0 || start > _cfg.NLayers || stop < start || stop > _cfg.NLayers)
            throw new ArgumentOutOfRangeException(nameof(options), $"layers [{start}, {stop}) out of range for {_cfg.NLayers} layers");

        if (_ws is not { } cached || cached.B != B || cached.T != T) { _ws = new ForwardWorkspace(_cfg, B, T); _rows = RowsOf(_ws); }
        var ws = _ws;
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

    // the block's steps (TransformerBlock) with every row computed and an empty prefix; the hooks fire between them
    private void Block(ForwardWorkspace ws, int l, TokenBatch batch, HookRegistry hooks)
    {
        _tap.Set(ws, batch, hooks);
        _block.Qkv(_rows!, l, _tap);
        _block.AttendWithinBatch(_rows!, l, ws.PadLeft, ws.B, ws.T, _tap);
        bool viaResult = hooks.Active(HookPoint.Result, l);
        if (viaResult) AttnOutViaResult(ws, _w.Layers[l], l, batch, hooks);
        _block.AttentionOutput(_rows!, l, _tap, attnOutWritten: viaResult);
        _block.Mlp(_rows!, l, _tap);
    }

    // fires the hook of each step on the workspace tensor the step wrote (hooks may edit it in place)
    private sealed class HookTap : IBlockTap
    {
        private ForwardWorkspace _ws = null!;
        private TokenBatch _batch = null!;
        private HookRegistry _hooks = null!;

        public void Set(ForwardWorkspace ws, TokenBatch batch, HookRegistry hooks) { _ws = ws; _batch = batch; _hooks = hooks; }

        public void After(HookPoint point, int layer)
        {
            var activation = point switch
            {
                HookPoint.ResidPre or HookPoint.ResidMid or HookPoint.ResidPost => _ws.Resid,
                HookPoint.Ln1Scale or HookPoint.Ln2Scale => _ws.Scale,
                HookPoint.Ln1Normalized or HookPoint.Ln2Normalized => _ws.LnOut,
                HookPoint.Q => _ws.Q,
                HookPoint.K => _ws.K,
                HookPoint.V => _ws.V,
                HookPoint.AttnScores => _ws.Scores,
                HookPoint.Pattern => _ws.Pattern,
                HookPoint.Z => _ws.Z,
                HookPoint.AttnOut => _ws.AttnOut,
                HookPoint.MlpPre => _ws.MlpPre,
                HookPoint.MlpPost => _ws.MlpPost,
                HookPoint.MlpOut => _ws.MlpOut,
                _ => throw new ArgumentOutOfRangeException(nameof(point), point, "not a block step"),
            };
            _hooks.Fire(point, layer, activation, _batch);
        }
    }

    private static BlockRows RowsOf(ForwardWorkspace ws) => new()
    {
        Count = ws.B * ws.T,
        Resid = ws.Resid.Data, Centered = ws.Centered.Data, Scale = ws.Scale.Data, LnOut = ws.LnOut.Data, Qkv = ws.Qkv.Data,
        Z = ws.Z.Data, AttnOut = ws.AttnOut.Data, MlpPre = ws.MlpPre.Data, MlpPost = ws.MlpPost.Data, MlpOut = ws.MlpOut.Data,
        Q = ws.Q.Data, K = ws.K.Data, V = ws.V.Data, Scores = ws.Scores.Data, Pattern = ws.Pattern.Data,
    };

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
