// The few-rows path for a·bᵀ with an unpacked b (N,K): each output is a dot product of two
// contiguous rows, so b streams through once in its own layout instead of being transposed into
// panels (which would cost more than the arithmetic when a has only a few rows, as in the
// unembedding of the last positions). AVX-512 only; other instruction sets use the panel path.
// Blocks of 4 rows of a by 4 rows of b keep 16 accumulators in registers; each output is
// summed the same way whatever the threading, so results stay deterministic.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CircuitLens.Tensors;

internal static unsafe class GemmDot
{
    public const int MaxRows = 16;  // beyond this the panel kernel (packing amortised over rows) wins
    public const int Group = 4;     // rows of b per block, the unit of work split between threads

    // outputs c[:, j0..j1) of c (M,N) = a (M,K) · bᵀ, b is (N,K)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    public static void Run(in GemmJob job, int j0, int j1)
    {
        int m = job.M, k = job.K, lda = (int)job.ARowStride, ldb = job.Ldb, ldc = job.Ldc;
        bool overwrite = !job.Accumulate;
        for (int j = j0; j < j1; j += Group)
        {
            int nj = Math.Min(Group, j1 - j);
            for (int i = 0; i < m; i += 4)
                Block(job.A + (nint)i * lda, lda, Math.Min(4, m - i), job.B + (nint)j * ldb, ldb, nj, k,
                    job.C + (nint)i * ldc + j, ldc, overwrite);
        }
    }

    // c (ni,nj) = a (ni,K) · b (nj,K)ᵀ with ni, nj <= 4; missing rows repeat the last one and are not stored
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    private static void Block(float* a, int lda, int ni, float* b, int ldb, int nj, int k, float* c, int ldc, bool overwrite)
    {
        float* a0 = a, a1 = a + (ni > 1 ? lda : 0), a2 = a + (ni > 2 ? 2 * lda : 0), a3 = a + (ni > 3 ? 3 * lda : 0);
        float* b0 = b, b1 = b + (nj > 1 ? ldb : 0), b2 = b + (nj > 2 ? 2 * ldb : 0), b3 = b + (nj > 3 ? 3 * ldb : 0);
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
        int p = 0;
        for (; p <= k - 16; p += 16)
        {
            var x0 = Vector512.Load(b0 + p); var x1 = Vector512.Load(b1 + p);
            var x2 = Vector512.Load(b2 + p); var x3 = Vector512.Load(b3 + p);
            var y = Vector512.Load(a0 + p);
            s00 = Vector512.FusedMultiplyAdd(y, x0, s00); s01 = Vector512.FusedMultiplyAdd(y, x1, s01);
            s02 = Vector512.FusedMultiplyAdd(y, x2, s02); s03 = Vector512.FusedMultiplyAdd(y, x3, s03);
            y = Vector512.Load(a1 + p);
            s10 = Vector512.FusedMultiplyAdd(y, x0, s10); s11 = Vector512.FusedMultiplyAdd(y, x1, s11);
            s12 = Vector512.FusedMultiplyAdd(y, x2, s12); s13 = Vector512.FusedMultiplyAdd(y, x3, s13);
            y = Vector512.Load(a2 + p);
            s20 = Vector512.FusedMultiplyAdd(y, x0, s20); s21 = Vector512.FusedMultiplyAdd(y, x1, s21);
            s22 = Vector512.FusedMultiplyAdd(y, x2, s22); s23 = Vector512.FusedMultiplyAdd(y, x3, s23);
            y = Vector512.Load(a3 + p);
            s30 = Vector512.FusedMultiplyAdd(y, x0, s30); s31 = Vector512.FusedMultiplyAdd(y, x1, s31);
            s32 = Vector512.FusedMultiplyAdd(y, x2, s32); s33 = Vector512.FusedMultiplyAdd(y, x3, s33);
        }
        float* sums = stackalloc float[16];
        sums[0] = Vector512.Sum(s00); sums[1] = Vector512.Sum(s01); sums[2] = Vector512.Sum(s02); sums[3] = Vector512.Sum(s03);
        sums[4] = Vector512.Sum(s10); sums[5] = Vector512.Sum(s11); sums[6] = Vector512.Sum(s12); sums[7] = Vector512.Sum(s13);
        sums[8] = Vector512.Sum(s20); sums[9] = Vector512.Sum(s21); sums[10] = Vector512.Sum(s22); sums[11] = Vector512.Sum(s23);
        sums[12] = Vector512.Sum(s30); sums[13] = Vector512.Sum(s31); sums[14] = Vector512.Sum(s32); sums[15] = Vector512.Sum(s33);
        float** rowsA = stackalloc float*[4] { a0, a1, a2, a3 };
        float** rowsB = stackalloc float*[4] { b0, b1, b2, b3 };
        for (int r = 0; r < ni; r++)
        {
            float* cr = c + (nint)r * ldc;
            for (int s = 0; s < nj; s++)
            {
                float sum = sums[r * 4 + s];
                for (int q = p; q < k; q++) sum = MathF.FusedMultiplyAdd(rowsA[r][q], rowsB[s][q], sum);
                cr[s] = overwrite ? sum : cr[s] + sum;
            }
        }
    }
}
