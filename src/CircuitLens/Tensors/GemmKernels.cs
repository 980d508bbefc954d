// Register-blocked micro-kernels for the GEMM: one tile of up to MR=8 rows by NR=32 columns of C,
// summed over a block of kc steps of K. Inputs are already packed: a holds 8 floats per k step
// (one per row), b holds 32 floats per k step (one per column). Three instruction sets, same
// arithmetic: every output is acc = fma(a[r,p], b[p,j], acc) for p in order, then C = acc or C += acc,
// so AVX-512, AVX2 and the portable path give bit-identical results. No blocking or threading here.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CircuitLens.Tensors;

internal enum GemmIsa { Portable, Avx2, Avx512 }

internal static unsafe class GemmKernels
{
    public const int MR = 8;   // rows of C per tile (the packed A stride)
    public const int NR = 32;  // columns of C per tile (the packed B stride): two zmm registers

    public static readonly GemmIsa BestIsa =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? GemmIsa.Avx512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported && Avx2.IsSupported ? GemmIsa.Avx2
        : GemmIsa.Portable;

    // c is (rows,cols) with row stride ldc, rows <= 8, cols <= 32; a is packed (kc,8), b is packed (kc,32)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    public static void Tile(GemmIsa isa, int kc, float* a, float* b, float* c, int ldc, int rows, int cols, bool overwrite)
    {
        if (isa == GemmIsa.Avx512)
        {
            if (rows > 4) Avx512Rows8(kc, a, b, c, ldc, rows, cols, overwrite);
            else if (rows > 1) Avx512Rows4(kc, a, b, c, ldc, rows, cols, overwrite);
            else Avx512Rows1(kc, a, b, c, ldc, cols, overwrite);
        }
        else if (isa == GemmIsa.Avx2)
        {
            float* tile = stackalloc float[MR * NR];
            for (int r0 = 0; r0 < rows; r0 += 4)
                for (int j0 = 0; j0 < cols; j0 += 16)
                    Avx2Rows4Cols16(kc, a + r0, b + j0, tile + r0 * NR + j0);
            StoreTile(tile, c, ldc, rows, cols, overwrite);
        }
        else
        {
            float* tile = stackalloc float[MR * NR];
            PortableTile(kc, a, b, tile, rows, cols);
            StoreTile(tile, c, ldc, rows, cols, overwrite);
        }
    }

    // Start fetching the C tile that the kernel will add into, so its cache misses overlap the arithmetic
    // instead of stalling at the end (C of a large product lives in L3, not L2).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, int ldc, int rows, bool overwrite)
    {
        if (overwrite) return;
        for (int r = 0; r < rows; r++)
        {
            Sse.Prefetch0(c + (nint)r * ldc);
            Sse.Prefetch0(c + (nint)r * ldc + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Vector512<float> acc, float* dst, bool overwrite)
    {
        if (overwrite) acc.Store(dst);
        else (Vector512.Load(dst) + acc).Store(dst);
    }

    // tile is (8,32) dense; copies its top-left (rows,cols) block into c
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    private static void StoreTile(float* tile, float* c, int ldc, int rows, int cols, bool overwrite)
    {
        for (int r = 0; r < rows; r++)
        {
            float* src = tile + r * NR, dst = c + (nint)r * ldc;
            if (overwrite) for (int j = 0; j < cols; j++) dst[j] = src[j];
            else for (int j = 0; j < cols; j++) dst[j] += src[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    private static void Avx512Rows8(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, bool overwrite)
    {
        PrefetchTile(c, ldc, rows, overwrite);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var ar = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(ar, b0, c00); c01 = Vector512.FusedMultiplyAdd(ar, b1, c01);
            ar = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(ar, b0, c10); c11 = Vector512.FusedMultiplyAdd(ar, b1, c11);
            ar = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(ar, b0, c20); c21 = Vector512.FusedMultiplyAdd(ar, b1, c21);
            ar = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(ar, b0, c30); c31 = Vector512.FusedMultiplyAdd(ar, b1, c31);
            ar = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(ar, b0, c40); c41 = Vector512.FusedMultiplyAdd(ar, b1, c41);
            ar = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(ar, b0, c50); c51 = Vector512.FusedMultiplyAdd(ar, b1, c51);
            ar = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(ar, b0, c60); c61 = Vector512.FusedMultiplyAdd(ar, b1, c61);
            ar = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(ar, b0, c70); c71 = Vector512.FusedMultiplyAdd(ar, b1, c71);
            a += MR;
            b += NR;
        }
        if (rows == MR && cols == NR)
        {
            Put(c00, c, overwrite); Put(c01, c + 16, overwrite); c += ldc;
            Put(c10, c, overwrite); Put(c11, c + 16, overwrite); c += ldc;
            Put(c20, c, overwrite); Put(c21, c + 16, overwrite); c += ldc;
            Put(c30, c, overwrite); Put(c31, c + 16, overwrite); c += ldc;
            Put(c40, c, overwrite); Put(c41, c + 16, overwrite); c += ldc;
            Put(c50, c, overwrite); Put(c51, c + 16, overwrite); c += ldc;
            Put(c60, c, overwrite); Put(c61, c + 16, overwrite); c += ldc;
            Put(c70, c, overwrite); Put(c71, c + 16, overwrite);
            return;
        }
        float* tile = stackalloc float[MR * NR];
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80); c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144); c50.Store(tile + 160); c51.Store(tile + 176);
        c60.Store(tile + 192); c61.Store(tile + 208); c70.Store(tile + 224); c71.Store(tile + 240);
        StoreTile(tile, c, ldc, rows, cols, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    private static void Avx512Rows4(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, bool overwrite)
    {
        PrefetchTile(c, ldc, rows, overwrite);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var ar = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(ar, b0, c00); c01 = Vector512.FusedMultiplyAdd(ar, b1, c01);
            ar = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(ar, b0, c10); c11 = Vector512.FusedMultiplyAdd(ar, b1, c11);
            ar = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(ar, b0, c20); c21 = Vector512.FusedMultiplyAdd(ar, b1, c21);
            ar = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(ar, b0, c30); c31 = Vector512.FusedMultiplyAdd(ar, b1, c31);
            a += MR;
            b += NR;
        }
        if (rows == 4 && cols == NR)
        {
            Put(c00, c, overwrite); Put(c01, c + 16, overwrite); c += ldc;
            Put(c10, c, overwrite); Put(c11, c + 16, overwrite); c += ldc;
            Put(c20, c, overwrite); Put(c21, c + 16, overwrite); c += ldc;
            Put(c30, c, overwrite); Put(c31, c + 16, overwrite);
            return;
        }
        float* tile = stackalloc float[4 * NR];
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80); c30.Store(tile + 96); c31.Store(tile + 112);
        StoreTile(tile, c, ldc, rows, cols, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    private static void Avx512Rows1(int kc, float* a, float* b, float* c, int ldc, int cols, bool overwrite)
    {
        PrefetchTile(c, ldc, 1, overwrite);
        Vector512<float> c00 = default, c01 = default;
        for (int p = 0; p < kc; p++)
        {
            var ar = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(ar, Vector512.Load(b), c00);
            c01 = Vector512.FusedMultiplyAdd(ar, Vector512.Load(b + 16), c01);
            a += MR;
            b += NR;
        }
        if (cols == NR)
        {
            Put(c00, c, overwrite); Put(c01, c + 16, overwrite);
            return;
        }
        float* tile = stackalloc float[NR];
        c00.Store(tile); c01.Store(tile + 16);
        StoreTile(tile, c, ldc, 1, cols, overwrite);
    }

    // tile (4 rows x 16 columns, row stride NR) = a (kc,4 of the 8) · b (kc,16 of the 32)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    private static void Avx2Rows4Cols16(int kc, float* a, float* b, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var ar = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(ar, b0, c00); c01 = Fma.MultiplyAdd(ar, b1, c01);
            ar = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(ar, b0, c10); c11 = Fma.MultiplyAdd(ar, b1, c11);
            ar = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(ar, b0, c20); c21 = Fma.MultiplyAdd(ar, b1, c21);
            ar = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(ar, b0, c30); c31 = Fma.MultiplyAdd(ar, b1, c31);
            a += MR;
            b += NR;
        }
        c00.Store(tile); c01.Store(tile + 8);
        c10.Store(tile + NR); c11.Store(tile + NR + 8);
        c20.Store(tile + 2 * NR); c21.Store(tile + 2 * NR + 8);
        c30.Store(tile + 3 * NR); c31.Store(tile + 3 * NR + 8);
    }

    // tile (8,32) = a (kc,8) · b (kc,32), computed one fused multiply-add at a time
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    private static void PortableTile(int kc, float* a, float* b, float* tile, int rows, int cols)
    {
        new Span<float>(tile, MR * NR).Clear();
        for (int p = 0; p < kc; p++, a += MR, b += NR)
            for (int r = 0; r < rows; r++)
            {
                float ar = a[r];
                float* t = tile + r * NR;
                for (int j = 0; j < cols; j++) t[j] = MathF.FusedMultiplyAdd(ar, b[j], t[j]);
            }
    }
}
