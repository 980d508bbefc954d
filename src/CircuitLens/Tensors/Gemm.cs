// Matrix products for the forward and backward passes. All matrices are row-major float32.
// The contract (signatures, shape comments, accumulate semantics) is stable; the inside is the
// place for the cache-blocked SIMD kernel. This first version is a simple, correct reference.
using System.Numerics.Tensors;

namespace CircuitLens.Tensors;

public static class Gemm
{
    /// <summary>Most threads a single product may use (defaults to all cores).</summary>
    public static int MaxThreads { get; set; } = Environment.ProcessorCount;

    // c is (M,N), a is (M,K), b is (K,N): c = a·b, or c += a·b when accumulate
    public static void MatMul(Span<float> c, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n, bool accumulate = false)
        => MatMul(c, n, a, k, b, n, m, k, n, accumulate);

    // strided form: row i of a starts at a[i*lda], row p of b at b[p*ldb], row i of c at c[i*ldc]
    public static void MatMul(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
        {
            var ci = c.Slice(i * ldc, n);
            if (!accumulate) ci.Clear();
            for (int p = 0; p < k; p++)
            {
                float aip = a[i * lda + p];
                if (aip != 0f) TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), aip, ci, ci);
            }
        }
    }

    // c is (M,N), a is (M,K), b is (N,K): c = a·bᵀ, or c += a·bᵀ when accumulate
    public static void MatMulTransB(Span<float> c, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n, bool accumulate = false)
        => MatMulTransB(c, n, a, k, b, k, m, k, n, accumulate);

    public static void MatMulTransB(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
        {
            var ai = a.Slice(i * lda, k);
            for (int j = 0; j < n; j++)
            {
                float dot = TensorPrimitives.Dot(ai, b.Slice(j * ldb, k));
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + dot : dot;
            }
        }
    }

    // c is (M,N), a is (K,M), b is (K,N): c = aᵀ·b, or c += aᵀ·b when accumulate
    public static void MatMulTransA(Span<float> c, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n, bool accumulate = false)
    {
        if (!accumulate) c.Slice(0, m * n).Clear();
        for (int p = 0; p < k; p++)
        {
            var bp = b.Slice(p * n, n);
            for (int i = 0; i < m; i++)
            {
                float api = a[p * m + i];
                if (api != 0f) { var ci = c.Slice(i * n, n); TensorPrimitives.MultiplyAdd(bp, api, ci, ci); }
            }
        }
    }
}
