// The GPT-2 backward pass from a gradient at the final residual stream, bottom to top of Gpt2Forward
// in reverse: for each block, last first, through mlp, ln_2, attn, ln_1. It knows no metric: the
// caller gives ∂metric/∂(final residual at each example's last position), before ln_f (a patching
// metric's Gradient), and gets ∂metric/∂activation at every hook point, read from the activations of
// a forward run (see NeedsInCache). It computes no weight gradients and changes no weights.
// The metric is a sum of per-example terms that each read only their own last row: examples do not
// interact, so row b of every gradient is that example's own gradient.
// Causal attention: the gradient at position t depends only on positions ≥ t, so a caller that needs
// gradients only from row first[b] on (attribution patching: where clean and corrupted differ) gets
// them from a pass over those rows alone, gathered from all examples into compact (R,…) matrices.
// In the last block only each example's final row reaches the metric below the attention.
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CircuitLens.Hooks;
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;

namespace CircuitLens.Model;

public sealed class Gpt2Backward
{
    private readonly Gpt2Weights _w;
    private readonly Gpt2Config _cfg;
    private readonly ActivationCache _cache;
    private readonly Func<string, bool> _keep;
    private readonly RowLayout _output;     // where kept gradients go: (B,T,…) or compact (R,…) rows
    private readonly ActivationGradients _grads = new();
    private readonly int B, T, C, H, D, M, R;
    // per example: first row with a gradient (padded coordinates), the last row, and where its rows start in the compact buffers
    private readonly int[] _first, _lastRow, _offset;
    private readonly Rows _all, _last;
    // the gradient of the residual stream at the point being processed, (R,C) compact rows
    private readonly float[] _dResid;
    private readonly float[] _dLn, _dZ, _dQ, _dK, _dV, _dQkv, _dPattern, _dScores, _dMlpPost, _dMlpPre, _dScale;
    private readonly float[] _dResidLast, _dZLast, _input, _mlpPre;

    // A set of rows of the compact buffers: Full[i] = b·T + t in the (B,T,…) activations; Compact[i] = its row
    // among all R compact rows (null when row i is compact row i).
    private sealed record Rows(int[] Full, int[]? Compact)
    {
        public int Count => Full.Length;
    }

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
    /// ∂metric/∂activation for every hook point whose name passes <paramref name="keep"/> (all when null), given
    /// <paramref name="finalResidualGradient"/> (B,C): ∂metric/∂(last layer's hook_resid_post at example b's last position),
    /// the residual before ln_f; the other positions of the final residual get no gradient from the metric.
    /// <paramref name="cache"/> is a RunWithCache of <paramref name="batch"/> holding at least the names <see cref="NeedsInCache"/>
    /// accepts. hook_attn_result's gradient is given when asked for; LayerNorm scale gradients treat the centred input as fixed.
    /// ln_final's hooks get no gradient (the pass starts below them).
    /// With <paramref name="firstRows"/> (per example, a padded position in [0, T−1]) gradients are computed only at
    /// positions ≥ firstRows[b] and left zero before it (not the true gradient there; exact from it on); null computes all.
    /// </summary>
    public static ActivationGradients Gradients(HookedTransformer model, TokenBatch batch, ActivationCache cache,
        ReadOnlySpan<float> finalResidualGradient, Func<string, bool>? keep = null, int[]? firstRows = null) =>
        Run(model, batch, cache, finalResidualGradient, keep, firstRows, new PaddedRows(batch.BatchSize, batch.SeqLen));

    /// <summary>
    /// <see cref="Gradients"/> from <paramref name="rows"/>' first rows on, each kept gradient laid out as those compact (R,…) rows
    /// (the rows the pass computes, in the order SuffixRunner stacks them). hook_pattern and hook_attn_scores stay (B,NH,T,T).
    /// </summary>
    public static ActivationGradients Gradients(HookedTransformer model, TokenBatch batch, ActivationCache cache,
        ReadOnlySpan<float> finalResidualGradient, Func<string, bool> keep, CompactRows rows)
    {
        if (rows.First.Count != batch.BatchSize || rows.SeqLen != batch.SeqLen)
            throw new ArgumentException($"the compact rows describe {rows.First.Count} examples of {rows.SeqLen} positions, not [{batch.BatchSize}, {batch.SeqLen}]", nameof(rows));
        return Run(model, batch, cache, finalResidualGradient, keep, rows.First.ToArray(), rows);
    }

    private static ActivationGradients Run(HookedTransformer model, TokenBatch batch, ActivationCache cache,
        ReadOnlySpan<float> finalResidualGradient, Func<string, bool>? keep, int[]? firstRows, RowLayout output)
    {
        var cfg = model.Config;
        if (finalResidualGradient.Length != batch.BatchSize * cfg.DModel)
            throw new ArgumentException($"the final-residual gradient has {finalResidualGradient.Length} values, not {batch.BatchSize} examples × {cfg.DModel}", nameof(finalResidualGradient));
        if (firstRows is not null)
        {
            if (firstRows.Length != batch.BatchSize) throw new ArgumentException($"firstRows has {firstRows.Length} entries for {batch.BatchSize} examples", nameof(firstRows));
            foreach (int f in firstRows)
                if ((uint)f >= (uint)batch.SeqLen) throw new ArgumentOutOfRangeException(nameof(firstRows), $"first row {f} is outside [0, {batch.SeqLen - 1}]");
        }
        foreach (var name in HookNames.All(cfg.NLayers))
        {
            if (!NeedsInCache(name, cfg.NLayers)) continue;
            if (!cache.TryGet(name, out var t)) throw new ArgumentException($"the cache lacks '{name}', which the backward pass needs (cache with Gpt2Backward.NeedsInCache)", nameof(cache));
            int timeAxis = name.EndsWith(HookNames.Suffix(HookPoint.Pattern), StringComparison.Ordinal) ? 2 : 1; // pattern is (B,NH,T,T)
            if (t.Dim(0) != batch.BatchSize || t.Dim(timeAxis) != batch.SeqLen)
                throw new ArgumentException($"cached '{name}' has shape {t.ShapeString}, not that of a [{batch.BatchSize}, {batch.SeqLen}] batch", nameof(cache));
        }

        var pass = new Gpt2Backward(model.Weights, batch, cache, keep ?? (_ => true), firstRows ?? new int[batch.BatchSize], output);
        pass.SeedFinalResidual(finalResidualGradient);
        for (int l = cfg.NLayers - 1; l >= 0; l--) pass.BlockBackward(l);
        pass.EmbedBackward();
        return pass._grads;
    }

    private Gpt2Backward(Gpt2Weights weights, TokenBatch batch, ActivationCache cache, Func<string, bool> keep, int[] firstRows, RowLayout output)
    {
        _w = weights; _cfg = weights.Config; _cache = cache; _keep = keep; _output = output;
        B = batch.BatchSize; T = batch.SeqLen;
        C = _cfg.DModel; H = _cfg.NHeads; D = _cfg.DHead; M = _cfg.DMlp;
        _first = (int[])firstRows.Clone();
        _offset = new int[B];
        _lastRow = new int[B];
        for (int b = 0; b < B; b++) { _offset[b] = R; R += T - _first[b]; _lastRow[b] = T - 1; }
        var full = new int[R];
        var lastFull = new int[B];
        var lastCompact = new int[B];
        for (int b = 0; b < B; b++)
        {
            for (int t = _first[b]; t < T; t++) full[_offset[b] + t - _first[b]] = b * T + t;
            lastFull[b] = b * T + T - 1;
            lastCompact[b] = _offset[b] + T - 1 - _first[b];
        }
        _all = new Rows(full, null);
        _last = new Rows(lastFull, lastCompact);

        _dResid = new float[R * C];
        _dLn = new float[R * C];
        _dZ = new float[R * C];
        _dQ = new float[R * C];
        _dK = new float[R * C];
        _dV = new float[R * C];
        _dQkv = new float[R * 3 * C];
        _dPattern = new float[B * H * T * T];
        _dScores = new float[B * H * T * T];
        _dMlpPost = new float[R * M];
        _dMlpPre = new float[R * M];
        _mlpPre = new float[R * M];
        _input = new float[R * C];
        _dScale = new float[R];
        _dResidLast = new float[B * C];
        _dZLast = new float[B * C];
    }

    // the metric's gradient enters at each example's last row of the final residual stream; other rows get nothing
    private void SeedFinalResidual(ReadOnlySpan<float> dFinal)
    {
        for (int b = 0; b < B; b++) dFinal.Slice(b * C, C).CopyTo(_dResid.AsSpan(_last.Compact![b] * C, C));
    }

    private void BlockBackward(int l)
    {
        var lw = _w.Layers[l];
        // Above the attention only rows with a gradient matter: in the last block, each example's final row.
        bool lastBlock = l == _cfg.NLayers - 1;
        var upper = lastBlock ? _last : _all;
        int n = upper.Count;
        var dResid = lastBlock ? _dResidLast : _dResid;
        if (lastBlock) Gather(_dResidLast, _dResid, upper.Compact!, C);
        Keep(HookPoint.ResidPost, l, dResid, upper, C);
        Keep(HookPoint.MlpOut, l, dResid, upper, C);

        // MLP: x += mlp(ln_2(x))
        Gemm.MatMulTransB(_dMlpPost, dResid, _w.Read(lw.MlpOutWeight), n, C, M);   // dpost (n,M) = dout (n,C) · W_outᵀ, W_out (M,C)
        Keep(HookPoint.MlpPost, l, _dMlpPost, upper, M);
        GatherFromCache(_mlpPre, _cache[HookPoint.MlpPre, l], upper, M);
        ActivateBackward(n);
        Keep(HookPoint.MlpPre, l, _dMlpPre, upper, M);
        Gemm.MatMulTransB(_dLn, _dMlpPre, _w.Read(lw.MlpInWeight), n, M, C);        // dln (n,C) = dpre (n,M) · W_inᵀ, W_in (C,M)
        LayerNormBackward(dResid, upper, lw.Ln2Weight, HookPoint.Ln2Normalized, HookPoint.Ln2Scale, HookPoint.ResidMid, l);
        Keep(HookPoint.ResidMid, l, dResid, upper, C);
        Keep(HookPoint.AttnOut, l, dResid, upper, C);
        if (_keep(HookNames.Name(HookPoint.Result, l))) KeepResult(l, dResid, upper);

        // attention: x += attn(ln_1(x))
        var dZ = lastBlock ? _dZLast : _dZ;
        Gemm.MatMulTransB(dZ, dResid, _w.Read(lw.AttnOutWeight), n, C, C);          // dz (n,C) = dattn_out · W_Oᵀ
        if (lastBlock)
        {
            // the other rows of the last block have no gradient yet: place the final rows back among them
            Scatter(_dResid, _dResidLast, upper.Compact!, C);
            Array.Clear(_dZ);
            Scatter(_dZ, _dZLast, upper.Compact!, C);
        }
        Keep(HookPoint.Z, l, _dZ, _all, H, D);
        Attention.SuffixBackward(_dPattern, _dScores, _dQ, _dK, _dV, _dZ, _cache[HookPoint.Pattern, l].Data,
            _cache[HookPoint.Q, l].Data, _cache[HookPoint.K, l].Data, _cache[HookPoint.V, l].Data,
            _first, lastBlock ? _lastRow : _first, _offset, B, T, H, D);
        KeepPerHead(HookPoint.Pattern, l, _dPattern);
        KeepPerHead(HookPoint.AttnScores, l, _dScores);
        Keep(HookPoint.Q, l, _dQ, _all, H, D);
        Keep(HookPoint.K, l, _dK, _all, H, D);
        Keep(HookPoint.V, l, _dV, _all, H, D);
        for (int i = 0; i < R; i++)
        {
            var row = _dQkv.AsSpan(i * 3 * C, 3 * C);
            _dQ.AsSpan(i * C, C).CopyTo(row);
            _dK.AsSpan(i * C, C).CopyTo(row.Slice(C));
            _dV.AsSpan(i * C, C).CopyTo(row.Slice(2 * C));
        }
        Gemm.MatMulTransB(_dLn, _dQkv, _w.Read(lw.QkvWeight), R, 3 * C, C);         // dln (R,C) = dqkv (R,3C) · W_qkvᵀ, W_qkv (C,3C)
        LayerNormBackward(_dResid, _all, lw.Ln1Weight, HookPoint.Ln1Normalized, HookPoint.Ln1Scale, HookPoint.ResidPre, l);
        Keep(HookPoint.ResidPre, l, _dResid, _all, C);
    }

    // _dLn holds d ln(x) of rows; adds the LayerNorm's input gradient into dResid (the residual branch already there)
    private void LayerNormBackward(float[] dResid, Rows rows, ParamView weight, HookPoint normPoint, HookPoint scalePoint, HookPoint inputPoint, int l)
    {
        Keep(normPoint, l, _dLn, rows, C);
        GatherFromCache(_input, _cache[inputPoint, l], rows, C);
        var buffer = _w.Buffer;
        float eps = _cfg.LayerNormEps;
        ForRowBlocks(rows.Count, (long)C * 16, (start, count) =>
            LayerNorm.Backward(dResid.AsSpan(start * C, count * C), _dScale.AsSpan(start, count), _dLn.AsSpan(start * C, count * C),
                _input.AsSpan(start * C, count * C), buffer.AsSpan(weight.Offset, C), count, C, eps));
        Keep(scalePoint, l, _dScale, rows, 1);
    }

    // _dMlpPost → _dMlpPre through the activation function, for the first n rows (_mlpPre holds their input)
    private void ActivateBackward(int n)
    {
        bool tanh = _cfg.Activation != "gelu";
        ForRowBlocks(n, (long)M * 20, (start, count) =>
        {
            int o = start * M, len = count * M;
            if (tanh) Gelu.TanhBackward(_dMlpPre.AsSpan(o, len), _dMlpPost.AsSpan(o, len), _mlpPre.AsSpan(o, len));
            else Gelu.ErfBackward(_dMlpPre.AsSpan(o, len), _dMlpPost.AsSpan(o, len), _mlpPre.AsSpan(o, len));
        });
    }

    private void EmbedBackward()
    {
        Keep(HookPoint.Embed, -1, _dResid, _all, C);
        Keep(HookPoint.PosEmbed, -1, _dResid, _all, C);
    }

    // dst row i = src row index[i]; rows of width w
    private static void Gather(float[] dst, float[] src, int[] index, int w)
    {
        for (int i = 0; i < index.Length; i++) src.AsSpan(index[i] * w, w).CopyTo(dst.AsSpan(i * w, w));
    }

    // dst row index[i] = src row i; rows of width w
    private static void Scatter(float[] dst, float[] src, int[] index, int w)
    {
        for (int i = 0; i < index.Length; i++) src.AsSpan(i * w, w).CopyTo(dst.AsSpan(index[i] * w, w));
    }

    // dst row i = the (B,T,w) activation at rows.Full[i]
    private static void GatherFromCache(float[] dst, Tensor activation, Rows rows, int w) => Gather(dst, activation.Data, rows.Full, w);

    // hook_result (B,T,NH,C): attn_out = Σ_h result[h] + b_O, so every head's result gets d attn_out
    private void KeepResult(int l, float[] dAttnOut, Rows rows)
    {
        var t = NewGradient(H, C);
        for (int i = 0; i < rows.Count; i++)
            for (int h = 0; h < H; h++)
                dAttnOut.AsSpan(i * C, C).CopyTo(t.Data.AsSpan((Place(rows, i) * H + h) * C, C));
        _grads.Set(HookNames.Name(HookPoint.Result, l), t);
    }

    // a (B,T,…) gradient (or (R,…) with compact output) from the buffer's first rows.Count rows, zero at rows not in
    // the set, when the caller keeps this name
    private void Keep(HookPoint point, int layer, float[] grad, Rows rows, params int[] inner)
    {
        string name = HookNames.Name(point, layer);
        if (!_keep(name)) return;
        int width = 1;
        foreach (int d in inner) width *= d;
        var t = NewGradient(inner);
        for (int i = 0; i < rows.Count; i++) grad.AsSpan(i * width, width).CopyTo(t.Data.AsSpan(Place(rows, i) * width, width));
        _grads.Set(name, t);
    }

    private Tensor NewGradient(params int[] inner) => Tensor.Zeros(_output.Shape(inner));

    // where row i of a row set goes in a kept gradient
    private int Place(Rows rows, int i) => _output.Row(rows.Full[i] / T, rows.Full[i] % T);

    // a (B,NH,T,T) gradient
    private void KeepPerHead(HookPoint point, int layer, float[] grad)
    {
        string name = HookNames.Name(point, layer);
        if (_keep(name)) _grads.Set(name, new Tensor(grad.ToArray(), B, H, T, T));
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
