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

    // src and dst are (T,T): dst = factor·srcᵀ
    private static void Transpose(Span<float> dst, ReadOnlySpan<float> src, int T, float factor)
    {
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++)
                dst[j * T + i] = factor * src[i * T + j];
    }
}
