// Backward of the three attention steps (values, softmax, scores), mirroring the forward kernels
// and their hook points. Gradients are with respect to activations only. Masked entries (pad keys,
// future keys) have zero pattern, so their score gradient is zero; pad query rows stay all zero.
using System.Buffers;
using System.Numerics.Tensors;

namespace CircuitLens.Tensors.Kernels;

public static unsafe partial class Attention
{
    // dz, v, dv are (B,T,NH,HS); pattern, dpattern are (B,NH,T,T):
    // dpattern[b,h,i,j] = dz[b,i,h]·v[b,j,h] (every entry: a hook may edit masked ones too); dv[b,j,h] = Σ_i pattern[b,h,i,j]·dz[b,i,h]
    public static void ValuesBackward(Span<float> dpattern, Span<float> dv, ReadOnlySpan<float> dz, ReadOnlySpan<float> pattern, ReadOnlySpan<float> v, int B, int T, int NH, int HS)
    {
        int C = NH * HS;
        fixed (float* pdp = dpattern) fixed (float* pdv = dv) fixed (float* pdz = dz) fixed (float* pp = pattern) fixed (float* pv = v)
        {
            float* dpat = pdp, dvv = pdv, dzz = pdz, pat = pp, vv = pv;
            For(B * NH, 2L * T * T * HS, bh =>
            {
                int b = bh / NH, h = bh % NH;
                long headOffset = (long)b * T * C + h * HS;
                int strided = (T - 1) * C + HS;
                var dzbh = new ReadOnlySpan<float>(dzz + headOffset, strided);
                var vbh = new ReadOnlySpan<float>(vv + headOffset, strided);
                var dvbh = new Span<float>(dvv + headOffset, strided);
                var pbh = new ReadOnlySpan<float>(pat + (long)bh * T * T, T * T);
                var dpbh = new Span<float>(dpat + (long)bh * T * T, T * T);
                Gemm.MatMulTransB(dpbh, T, dzbh, C, vbh, C, T, HS, T);
                var rented = ArrayPool<float>.Shared.Rent(T * T);
                try
                {
                    var pt = rented.AsSpan(0, T * T);
                    Transpose(pt, pbh, T, 1f);
                    Gemm.MatMul(dvbh, C, pt, T, dzbh, C, T, T, HS);
                }
                finally { ArrayPool<float>.Shared.Return(rented); }
            });
        }
    }

    // pattern, dpattern, dscores are (rows,T): dscores = pattern ⊙ (dpattern − Σ pattern·dpattern); all-zero rows give zero
    public static void SoftmaxBackward(Span<float> dscores, ReadOnlySpan<float> dpattern, ReadOnlySpan<float> pattern, int rows, int T)
    {
        for (int r = 0; r < rows; r++)
        {
            var p = pattern.Slice(r * T, T);
            var dp = dpattern.Slice(r * T, T);
            var ds = dscores.Slice(r * T, T);
            float dot = TensorPrimitives.Dot(p, dp);
            TensorPrimitives.Subtract(dp, dot, ds);
            TensorPrimitives.Multiply(ds, p, ds);
        }
    }

    // dscores is (B,NH,T,T) (zero where masked); q, k, dq, dk are (B,T,NH,HS); scores = q·kᵀ/√HS
    public static void ScoresBackward(Span<float> dq, Span<float> dk, ReadOnlySpan<float> dscores, ReadOnlySpan<float> q, ReadOnlySpan<float> k, int B, int T, int NH, int HS)
    {
        int C = NH * HS;
        float scale = 1f / MathF.Sqrt(HS);
        fixed (float* pdq = dq) fixed (float* pdk = dk) fixed (float* pds = dscores) fixed (float* pq = q) fixed (float* pk = k)
        {
            float* dqq = pdq, dkk = pdk, dss = pds, qq = pq, kk = pk;
            For(B * NH, 2L * T * T * HS, bh =>
            {
                int b = bh / NH, h = bh % NH;
                long headOffset = (long)b * T * C + h * HS;
                int strided = (T - 1) * C + HS;
                var qbh = new ReadOnlySpan<float>(qq + headOffset, strided);
                var kbh = new ReadOnlySpan<float>(kk + headOffset, strided);
                var dqbh = new Span<float>(dqq + headOffset, strided);
                var dkbh = new Span<float>(dkk + headOffset, strided);
                var dsbh = new ReadOnlySpan<float>(dss + (long)bh * T * T, T * T);
                var rented = ArrayPool<float>.Shared.Rent(T * T);
                try
                {
                    var scaled = rented.AsSpan(0, T * T);
                    TensorPrimitives.Multiply(dsbh, scale, scaled);
                    Gemm.MatMul(dqbh, C, scaled, T, kbh, C, T, T, HS);     // dq = scale·ds·k
                    Transpose(scaled, dsbh, T, scale);
                    Gemm.MatMul(dkbh, C, scaled, T, qbh, C, T, T, HS);     // dk = scale·dsᵀ·q
                }
                finally { ArrayPool<float>.Shared.Return(rented); }
            });
        }
    }

    // The three steps above fused, for the query rows at or after queryFirst[b] and the key rows at or after first[b] of
    // each example only (causal attention: later rows never feed earlier ones, so the rest need no gradient).
    // dz, dq, dk, dv are (R,NH·HS), compact rows: example b's positions first[b]..T-1 are rows rowOffset[b].. of them;
    // dz is zero before queryFirst[b] (≥ first[b]); dq, dk, dv get every row of the example (dq zero before queryFirst[b]).
    // q, k, v are the forward's (B,T,NH,HS) at every position; pattern, dpattern, dscores are (B,NH,T,T),
    // dpattern and dscores zero in the query rows before queryFirst[b].
    public static void SuffixBackward(Span<float> dpattern, Span<float> dscores, Span<float> dq, Span<float> dk, Span<float> dv,
        ReadOnlySpan<float> dz, ReadOnlySpan<float> pattern, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        int[] first, int[] queryFirst, int[] rowOffset, int B, int T, int NH, int HS)
    {
        int C = NH * HS;
        float scale = 1f / MathF.Sqrt(HS);
        fixed (float* pdp = dpattern) fixed (float* pds = dscores) fixed (float* pdq = dq) fixed (float* pdk = dk) fixed (float* pdv = dv)
        fixed (float* pdz = dz) fixed (float* pp = pattern) fixed (float* pq = q) fixed (float* pk = k) fixed (float* pv = v)
        {
            float* dpat = pdp, dsc = pds, dqq = pdq, dkk = pdk, dvv = pdv, dzz = pdz, pat = pp, qq = pq, kk = pk, vv = pv;
            For(B * NH, 8L * T * T * HS, bh =>
            {
                int b = bh / NH, h = bh % NH;
                int s = first[b], qs = queryFirst[b], nq = T - qs, ns = T - s, strided = (T - 1) * C + HS;
                long full = (long)b * T * C + h * HS;                          // (b, 0, h) in the (B,T,NH,HS) caches
                long suffix = (long)rowOffset[b] * C + h * HS;                  // (b, s, h) in the compact rows
                long querySuffix = suffix + (long)(qs - s) * C;                 // (b, qs, h)
                var dzq = new ReadOnlySpan<float>(dzz + querySuffix, (nq - 1) * C + HS);
                var vbh = new ReadOnlySpan<float>(vv + full, strided);
                var kbh = new ReadOnlySpan<float>(kk + full, strided);
                var qq0 = new ReadOnlySpan<float>(qq + full + (long)qs * C, (nq - 1) * C + HS);
                var pbh = new ReadOnlySpan<float>(pat + (long)bh * T * T, T * T);
                var dpbh = new Span<float>(dpat + (long)bh * T * T, T * T);
                var dsbh = new Span<float>(dsc + (long)bh * T * T, T * T);
                var dqs = new Span<float>(dqq + suffix, (ns - 1) * C + HS);
                var dks = new Span<float>(dkk + suffix, (ns - 1) * C + HS);
                var dvs = new Span<float>(dvv + suffix, (ns - 1) * C + HS);
                dpbh.Slice(0, qs * T).Clear();
                dsbh.Slice(0, qs * T).Clear();
                for (int i = 0; i < qs - s; i++) dqs.Slice(i * C, HS).Clear();

                // dpattern[i,j] = dz[i]·v[j] over every key; dscores through the softmax
                Gemm.MatMulTransB(dpbh.Slice(qs * T), T, dzq, C, vbh, C, nq, HS, T);
                SoftmaxBackward(dsbh.Slice(qs * T), dpbh.Slice(qs * T), pbh.Slice(qs * T), nq, T);

                var rented = ArrayPool<float>.Shared.Rent(ns * nq + nq * T);
                try
                {
                    var transposed = rented.AsSpan(0, ns * nq);   // (ns,nq): [j−s, i−qs]
                    var scaled = rented.AsSpan(ns * nq, nq * T);  // (nq,T)
                    // dv[j] = Σ_i pattern[i,j]·dz[i]
                    TransposeBlock(transposed, pbh, T, qs, nq, s, ns, 1f);
                    Gemm.MatMul(dvs, C, transposed, nq, dzq, C, ns, nq, HS);
                    // dq[i] = scale·Σ_j dscores[i,j]·k[j]
                    TensorPrimitives.Multiply(dsbh.Slice(qs * T, nq * T), scale, scaled);
                    Gemm.MatMul(dqs.Slice((qs - s) * C), C, scaled, T, kbh, C, nq, T, HS);
                    // dk[j] = scale·Σ_i dscores[i,j]·q[i]
                    TransposeBlock(transposed, dsbh, T, qs, nq, s, ns, scale);
                    Gemm.MatMul(dks, C, transposed, nq, qq0, C, ns, nq, HS);
                }
                finally { ArrayPool<float>.Shared.Return(rented); }
            });
        }
    }

    // src is (T,T); dst is (cols,rows) = factor·src[row0..row0+rows, col0..col0+cols]ᵀ
    private static void TransposeBlock(Span<float> dst, ReadOnlySpan<float> src, int T, int row0, int rows, int col0, int cols, float factor)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                dst[j * rows + i] = factor * src[(row0 + i) * T + col0 + j];
    }

    // src and dst are (T,T): dst = factor·srcᵀ
    private static void Transpose(Span<float> dst, ReadOnlySpan<float> src, int T, float factor)
    {
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++)
                dst[j * T + i] = factor * src[i * T + j];
    }
}
