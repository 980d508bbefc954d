// Causal multi-head attention in three steps so hooks can sit between them (TransformerLens'
// hook_attn_scores, hook_pattern, hook_z). Rows are left-padded: keys before padLeft[b] are masked,
// and the query rows of pads get an all-zero pattern (TransformerLens turns their NaN rows into 0).
using System.Numerics.Tensors;

namespace CircuitLens.Tensors.Kernels;

public static unsafe partial class Attention
{
    // q, k are (B,T,NH,HS); scores is (B,NH,T,T); padLeft is (B). Masked entries are -inf.
    public static void ScoresForward(Span<float> scores, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<int> padLeft, int B, int T, int NH, int HS)
    {
        int C = NH * HS;
        float scale = 1f / MathF.Sqrt(HS);
        fixed (float* ps = scores) fixed (float* pq = q) fixed (float* pk = k) fixed (int* pp = padLeft)
        {
            float* s = ps, qq = pq, kk = pk; int* pad = pp;
            For(B * NH, T * T * HS, bh =>
            {
                int b = bh / NH, h = bh % NH;
                var sbh = new Span<float>(s + (long)bh * T * T, T * T);
                var qbh = new ReadOnlySpan<float>(qq + ((long)b * T * C + h * HS), (T - 1) * C + HS);
                var kbh = new ReadOnlySpan<float>(kk + ((long)b * T * C + h * HS), (T - 1) * C + HS);
                Gemm.MatMulTransB(sbh, T, qbh, C, kbh, C, T, HS, T);
                int p0 = pad[b];
                for (int i = 0; i < T; i++)
                {
                    var row = sbh.Slice(i * T, T);
                    if (i < p0) { row.Fill(float.NegativeInfinity); continue; }
                    row.Slice(0, p0).Fill(float.NegativeInfinity);
                    TensorPrimitives.Multiply(row.Slice(p0, i + 1 - p0), scale, row.Slice(p0, i + 1 - p0));
                    row.Slice(i + 1).Fill(float.NegativeInfinity);
                }
            });
        }
    }

    // scores and pattern are (B,NH,T,T): softmax over keys; fully masked rows become all zero
    public static void SoftmaxForward(Span<float> pattern, ReadOnlySpan<float> scores, int rows, int T)
    {
        for (int r = 0; r < rows; r++)
        {
            var src = scores.Slice(r * T, T);
            var dst = pattern.Slice(r * T, T);
            float max = TensorPrimitives.Max(src);
            if (float.IsNegativeInfinity(max)) { dst.Clear(); continue; }
            TensorPrimitives.Subtract(src, max, dst);
            TensorPrimitives.Exp(dst, dst);
            float sum = TensorPrimitives.Sum(dst);
            TensorPrimitives.Multiply(dst, 1f / sum, dst);
        }
    }

    // pattern is (B,NH,T,T), v is (B,T,NH,HS), z is (B,T,NH,HS): z[b,i,h] = Σ_j pattern[b,h,i,j]·v[b,j,h]
    public static void ValuesForward(Span<float> z, ReadOnlySpan<float> pattern, ReadOnlySpan<float> v, int B, int T, int NH, int HS)
    {
        int C = NH * HS;
        fixed (float* pz = z) fixed (float* pp = pattern) fixed (float* pv = v)
        {
            float* zz = pz, pat = pp, vv = pv;
            For(B * NH, T * T * HS, bh =>
            {
                int b = bh / NH, h = bh % NH;
                var pbh = new ReadOnlySpan<float>(pat + (long)bh * T * T, T * T);
                var vbh = new ReadOnlySpan<float>(vv + ((long)b * T * C + h * HS), (T - 1) * C + HS);
                var zbh = new Span<float>(zz + ((long)b * T * C + h * HS), (T - 1) * C + HS);
                Gemm.MatMul(zbh, C, pbh, T, vbh, C, T, T, HS);
            });
        }
    }

    // Runs body(i) for i in [0,n): in parallel only when the work is large enough to pay for it.
    internal static void For(int n, long flopsPerItem, Action<int> body)
    {
        if (Gemm.MaxThreads <= 1 || n == 1 || n * flopsPerItem < 200_000)
        {
            for (int i = 0; i < n; i++) body(i);
            return;
        }
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Gemm.MaxThreads }, body);
    }
}
