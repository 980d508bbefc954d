// The GPT-2 backward pass for a logit-difference metric, bottom to top of Gpt2Forward in reverse:
//   d ln_f(x_last) = wte[answer] − wte[wrong];  for each block, last first: through mlp, ln_2, attn, ln_1
// It yields ∂metric/∂activation at every hook point, read from the activations of a forward run
// (see NeedsInCache). It computes no weight gradients and changes no weights.
// The metric is Σ_b (logit[b,last,answer_b] − logit[b,last,wrong_b]): examples do not interact, so
// row b of every gradient is that example's own gradient.
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CircuitLens.Hooks;
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;

namespace CircuitLens.Model;

public sealed class Gpt2Backward
{
    private readonly Gpt2Weights _w;
    private readonly Gpt2Config _cfg;
    private readonly TokenBatch _batch;
    private readonly ActivationCache _cache;
    private readonly Func<string, bool> _keep;
    private readonly ActivationGradients _grads = new();
    private readonly int B, T, N, C, H, D, M;
    // the gradient of the residual stream at the point being processed, (B,T,C)
    private readonly float[] _dResid;
    private readonly float[] _dLn, _dZ, _dQ, _dK, _dV, _dQkv, _dPattern, _dScores, _dMlpPost, _dMlpPre, _geluScratch, _dScale;

    /// <summary>The per-layer activations the backward pass reads, plus the last layer's hook_resid_post.</summary>
    public static bool NeedsInCache(string hookName, int nLayers)
    {
        if (!HookNames.TryParse(hookName, nLayers, out var point, out int layer)) return false;
        return point switch
        {
            HookPoint.ResidPre or HookPoint.Q or HookPoint.K or HookPoint.V or HookPoint.Pattern
                or HookPoint.ResidMid or HookPoint.MlpPre => true,
            HookPoint.ResidPost => layer == nLayers - 1,
            _ => false,
        };
    }

    /// <summary>
    /// ∂LD/∂activation for every hook point whose name passes <paramref name="keep"/> (all when null), where
    /// LD = Σ_b logit[b, last, answerIds[b]] − logit[b, last, wrongIds[b]]. <paramref name="cache"/> is a
    /// RunWithCache of <paramref name="batch"/> holding at least the names <see cref="NeedsInCache"/> accepts.
    /// hook_attn_result's gradient is given when asked for; LayerNorm scale gradients treat the centred input as fixed.
    /// </summary>
    public static ActivationGradients LogitDiffGradients(HookedTransformer model, TokenBatch batch, ActivationCache cache,
        int[] answerIds, int[] wrongIds, Func<string, bool>? keep = null)
    {
        var cfg = model.Config;
        if (answerIds.Length != batch.BatchSize || wrongIds.Length != batch.BatchSize)
            throw new CircuitLensException($"need one answer and one wrong token per example: batch has {batch.BatchSize}, got {answerIds.Length} answers and {wrongIds.Length} wrong tokens");
        foreach (int id in answerIds.Concat(wrongIds))
            if ((uint)id >= (uint)cfg.VocabSize) throw new CircuitLensException($"answer token id {id} is outside the vocabulary (size {cfg.VocabSize})");
        foreach (var name in HookNames.All(cfg.NLayers))
        {
            if (!NeedsInCache(name, cfg.NLayers)) continue;
            if (!cache.TryGet(name, out var t)) throw new ArgumentException($"the cache lacks '{name}', which the backward pass needs (cache with Gpt2Backward.NeedsInCache)", nameof(cache));
            int timeAxis = name.EndsWith(HookNames.Suffix(HookPoint.Pattern), StringComparison.Ordinal) ? 2 : 1; // pattern is (B,NH,T,T)
            if (t.Dim(0) != batch.BatchSize || t.Dim(timeAxis) != batch.SeqLen)
                throw new ArgumentException($"cached '{name}' has shape {t.ShapeString}, not that of a [{batch.BatchSize}, {batch.SeqLen}] batch", nameof(cache));
        }

        var pass = new Gpt2Backward(model.Weights, batch, cache, keep ?? (_ => true));
        pass.UnembedBackward(answerIds, wrongIds);
        for (int l = cfg.NLayers - 1; l >= 0; l--) pass.BlockBackward(l);
        pass.EmbedBackward();
        return pass._grads;
    }

    private Gpt2Backward(Gpt2Weights weights, TokenBatch batch, ActivationCache cache, Func<string, bool> keep)
    {
        _w = weights; _cfg = weights.Config; _batch = batch; _cache = cache; _keep = keep;
        B = batch.BatchSize; T = batch.SeqLen; N = B * T;
        C = _cfg.DModel; H = _cfg.NHeads; D = _cfg.DHead; M = _cfg.DMlp;
        _dResid = new float[N * C];
        _dLn = new float[N * C];
        _dZ = new float[N * C];
        _dQ = new float[N * C];
        _dK = new float[N * C];
        _dV = new float[N * C];
        _dQkv = new float[N * 3 * C];
        _dPattern = new float[B * H * T * T];
        _dScores = new float[B * H * T * T];
        _dMlpPost = new float[N * M];
        _dMlpPre = new float[N * M];
        _geluScratch = new float[2 * N * M];
        _dScale = new float[N];
    }

    // logits (B,V) = ln_f(x_last)·wteᵀ, so d ln_f(x_last)[b] = wte[answer_b] − wte[wrong_b]; other rows get nothing
    private void UnembedBackward(int[] answerIds, int[] wrongIds)
    {
        var wte = _w.Read(_w.TokenEmbedding);
        var dNormLast = new float[B * C];
        var residLast = new float[B * C];
        var dResidLast = new float[B * C];
        var dScaleLast = new float[B];
        var finalResid = _cache[HookPoint.ResidPost, _cfg.NLayers - 1];
        for (int b = 0; b < B; b++)
        {
            TensorPrimitives.Subtract(wte.Slice(answerIds[b] * C, C), wte.Slice(wrongIds[b] * C, C), dNormLast.AsSpan(b * C, C));
            finalResid.Slice(b, T - 1).CopyTo(residLast.AsSpan(b * C, C));
        }
        LayerNorm.Backward(dResidLast, dScaleLast, dNormLast, residLast, _w.Read(_w.LnFinalWeight), B, C, _cfg.LayerNormEps);
        for (int b = 0; b < B; b++) dResidLast.AsSpan(b * C, C).CopyTo(_dResid.AsSpan(((b * T) + T - 1) * C, C));

        KeepLastRows(HookNames.Name(HookPoint.LnFinalNormalized), dNormLast, C);
        KeepLastRows(HookNames.Name(HookPoint.LnFinalScale), dScaleLast, 1);
    }

    private void BlockBackward(int l)
    {
        var lw = _w.Layers[l];
        Keep(HookPoint.ResidPost, l, _dResid, C);
        Keep(HookPoint.MlpOut, l, _dResid, C);

        // MLP: x += mlp(ln_2(x))
        Gemm.MatMulTransB(_dMlpPost, _dResid, _w.Read(lw.MlpOutWeight), N, C, M);   // dpost (N,M) = dout (N,C) · W_outᵀ, W_out (M,C)
        Keep(HookPoint.MlpPost, l, _dMlpPost, M);
        ActivateBackward(_cache[HookPoint.MlpPre, l].Data);
        Keep(HookPoint.MlpPre, l, _dMlpPre, M);
        Gemm.MatMulTransB(_dLn, _dMlpPre, _w.Read(lw.MlpInWeight), N, M, C);        // dln (N,C) = dpre (N,M) · W_inᵀ, W_in (C,M)
        LayerNormBackward(lw.Ln2Weight, HookPoint.Ln2Normalized, HookPoint.Ln2Scale, HookPoint.ResidMid, l);
        Keep(HookPoint.ResidMid, l, _dResid, C);
        Keep(HookPoint.AttnOut, l, _dResid, C);
        if (_keep(HookNames.Name(HookPoint.Result, l))) KeepResult(l);

        // attention: x += attn(ln_1(x))
        Gemm.MatMulTransB(_dZ, _dResid, _w.Read(lw.AttnOutWeight), N, C, C);        // dz (N,C) = dattn_out · W_Oᵀ
        Keep(HookPoint.Z, l, _dZ, H, D);
        Attention.ValuesBackward(_dPattern, _dV, _dZ, _cache[HookPoint.Pattern, l].Data, _cache[HookPoint.V, l].Data, B, T, H, D);
        KeepPerHead(HookPoint.Pattern, l, _dPattern);
        Attention.SoftmaxBackward(_dScores, _dPattern, _cache[HookPoint.Pattern, l].Data, B * H * T, T);
        KeepPerHead(HookPoint.AttnScores, l, _dScores);
        Attention.ScoresBackward(_dQ, _dK, _dScores, _cache[HookPoint.Q, l].Data, _cache[HookPoint.K, l].Data, B, T, H, D);
        Keep(HookPoint.Q, l, _dQ, H, D);
        Keep(HookPoint.K, l, _dK, H, D);
        Keep(HookPoint.V, l, _dV, H, D);
        for (int i = 0; i < N; i++)
        {
            var row = _dQkv.AsSpan(i * 3 * C, 3 * C);
            _dQ.AsSpan(i * C, C).CopyTo(row);
            _dK.AsSpan(i * C, C).CopyTo(row.Slice(C));
            _dV.AsSpan(i * C, C).CopyTo(row.Slice(2 * C));
        }
        Gemm.MatMulTransB(_dLn, _dQkv, _w.Read(lw.QkvWeight), N, 3 * C, C);         // dln (N,C) = dqkv (N,3C) · W_qkvᵀ, W_qkv (C,3C)
        LayerNormBackward(lw.Ln1Weight, HookPoint.Ln1Normalized, HookPoint.Ln1Scale, HookPoint.ResidPre, l);
        Keep(HookPoint.ResidPre, l, _dResid, C);
    }

    // _dLn holds d ln(x); adds the LayerNorm's input gradient into _dResid (the residual branch already there)
    private void LayerNormBackward(ParamView weight, HookPoint normPoint, HookPoint scalePoint, HookPoint inputPoint, int l)
    {
        Keep(normPoint, l, _dLn, C);
        var input = _cache[inputPoint, l].Data;
        var buffer = _w.Buffer;
        float eps = _cfg.LayerNormEps;
        ForRowBlocks(N, (long)C * 16, (start, count) =>
            LayerNorm.Backward(_dResid.AsSpan(start * C, count * C), _dScale.AsSpan(start, count), _dLn.AsSpan(start * C, count * C),
                input.AsSpan(start * C, count * C), buffer.AsSpan(weight.Offset, C), count, C, eps));
        Keep(scalePoint, l, _dScale, 1);
    }

    // _dMlpPost → _dMlpPre through the activation function
    private void ActivateBackward(float[] mlpPre)
    {
        bool tanh = _cfg.Activation != "gelu";
        ForRowBlocks(N, (long)M * 20, (start, count) =>
        {
            int o = start * M, n = count * M;
            if (tanh) Gelu.TanhBackward(_dMlpPre.AsSpan(o, n), _dMlpPost.AsSpan(o, n), mlpPre.AsSpan(o, n), _geluScratch.AsSpan(2 * o, 2 * n));
            else Gelu.ErfBackward(_dMlpPre.AsSpan(o, n), _dMlpPost.AsSpan(o, n), mlpPre.AsSpan(o, n));
        });
    }

    private void EmbedBackward()
    {
        Keep(HookPoint.Embed, -1, _dResid, C);
        Keep(HookPoint.PosEmbed, -1, _dResid, C);
    }

    // hook_result (B,T,NH,C): attn_out = Σ_h result[h] + b_O, so every head's result gets d attn_out
    private void KeepResult(int l)
    {
        var grad = new float[N * H * C];
        for (int i = 0; i < N; i++)
            for (int h = 0; h < H; h++)
                _dResid.AsSpan(i * C, C).CopyTo(grad.AsSpan((i * H + h) * C, C));
        _grads.Set(HookNames.Name(HookPoint.Result, l), new Tensor(grad, B, T, H, C));
    }

    // a (B,T,…) gradient: copies it out of the reused buffer when the caller keeps this name
    private void Keep(HookPoint point, int layer, float[] grad, params int[] inner)
    {
        string name = HookNames.Name(point, layer);
        if (!_keep(name)) return;
        _grads.Set(name, new Tensor(grad.ToArray(), [B, T, .. inner]));
    }

    // a (B,NH,T,T) gradient
    private void KeepPerHead(HookPoint point, int layer, float[] grad)
    {
        string name = HookNames.Name(point, layer);
        if (_keep(name)) _grads.Set(name, new Tensor(grad.ToArray(), B, H, T, T));
    }

    // a gradient that is zero except at the last position: (B,inner) rows placed into (B,T,inner)
    private void KeepLastRows(string name, float[] lastRows, int inner)
    {
        if (!_keep(name)) return;
        var t = Tensor.Zeros(B, T, inner);
        for (int b = 0; b < B; b++) lastRows.AsSpan(b * inner, inner).CopyTo(t.Slice(b, T - 1));
        _grads.Set(name, t);
    }

    // Runs body(start, count) over [0,n) in one block per thread when there is enough work.
    private static void ForRowBlocks(int n, long costPerRow, Action<int, int> body)
    {
        int blocks = Math.Min(Gemm.MaxThreads, n);
        if (blocks <= 1 || n * costPerRow < 500_000) { body(0, n); return; }
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = blocks }, i =>
        {
            int start = (int)((long)n * i / blocks), end = (int)((long)n * (i + 1) / blocks);
            if (end > start) body(start, end - start);
        });
    }
}
