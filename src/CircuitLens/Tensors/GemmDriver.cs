// The cache-blocking loop nest around the micro-kernels, and the packing of operands into the
// kernels' layouts. One GemmJob describes a whole product; a part of it (a range of rows or of
// 32-column panels) runs on one thread with that thread's own packing buffers. K is never split,
// so each output is summed in the same order however the work is divided.
// Not here: argument checking (Gemm) and thread management (GemmWorkers).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CircuitLens.Tensors;

internal enum BOperand { RowMajor, Transposed, Packed }

// c is (M,N); element (i,p) of A is A[i*ARowStride + p*AColStride]; B is (K,N) row-major,
// (N,K) row-major (Transposed) or PackedMatrix panels (Packed)
internal unsafe struct GemmJob
{
    public float* C; public int Ldc;
    public float* A; public nint ARowStride, AColStride;
    public float* B; public int Ldb; public BOperand BKind;
    public int M, N, K;
    public bool Accumulate;
    public GemmIsa Isa;
    public int Threads;     // how many threads work on it (1 = the calling thread only)
    public int Parts;       // how many pieces it is cut into (a few per thread, handed out dynamically)
    public bool SplitRows;  // pieces are row ranges (else 32-column panel ranges)
    public bool Dots;       // few-row a·bᵀ done as dot products (GemmDot); pieces are ranges of b rows
}

internal static unsafe class GemmDriver
{
    private const int MR = GemmKernels.MR, NR = GemmKernels.NR;
    // Measured on the 2-core Sapphire Rapids box (bench `kernel` mode): a deep K block matters most,
    // because C of a large product lives in L3/DRAM and is re-read once per K block; a B panel
    // (KC x 32 floats = 64 KiB) streams from L2 fast enough to keep the FMA units busy.
    public const int KC = 512;  // most K steps per block (K is cut into equal blocks of at most this)
    public const int MC = 192;  // M block: the packed A block (MC x KC = 384 KiB) stays in L2

    [ThreadStatic] private static float[]? t_aBuffer;
    [ThreadStatic] private static float[]? t_bBuffer;

    public static void RunPart(in GemmJob job, int part)
    {
        if (job.Dots)
        {
            int groups = (job.N + GemmDot.Group - 1) / GemmDot.Group;
            int g0 = (int)((long)groups * part / job.Parts), g1 = (int)((long)groups * (part + 1) / job.Parts);
            GemmDot.Run(job, g0 * GemmDot.Group, Math.Min(g1 * GemmDot.Group, job.N));
            return;
        }
        int panels = (job.N + NR - 1) / NR;
        if (job.SplitRows)
        {
            int blocks = (job.M + MR - 1) / MR;
            int b0 = (int)((long)blocks * part / job.Parts), b1 = (int)((long)blocks * (part + 1) / job.Parts);
            Run(job, b0 * MR, Math.Min(b1 * MR, job.M), 0, panels);
        }
        else
        {
            int p0 = (int)((long)panels * part / job.Parts), p1 = (int)((long)panels * (part + 1) / job.Parts);
            Run(job, 0, job.M, p0, p1);
        }
    }

    // rows [m0,m1) and 32-column panels [panel0,panel1) of C
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    private static void Run(in GemmJob job, int m0, int m1, int panel0, int panel1)
    {
        if (m0 >= m1 || panel0 >= panel1) return;
        t_aBuffer ??= GC.AllocateUninitializedArray<float>(MC * KC, pinned: true);
        t_bBuffer ??= GC.AllocateUninitializedArray<float>(KC * NR, pinned: true);
        fixed (float* aBuf = t_aBuffer)
        fixed (float* bBuf = t_bBuffer)
        {
            int kBlocks = (job.K + KC - 1) / KC, kStep = (job.K + kBlocks - 1) / kBlocks;
            for (int pc = 0; pc < job.K; pc += kStep)
            {
                int kc = Math.Min(kStep, job.K - pc);
                bool overwrite = pc == 0 && !job.Accumulate;
                for (int ic = m0; ic < m1; ic += MC)
                {
                    int mc = Math.Min(MC, m1 - ic);
                    PackA(job, ic, mc, pc, kc, aBuf);
                    for (int panel = panel0; panel < panel1; panel++)
                    {
                        int j = panel * NR, cols = Math.Min(NR, job.N - j);
                        float* bp;
                        if (job.BKind == BOperand.Packed) bp = job.B + (nint)panel * job.K * NR + (nint)pc * NR;
                        else { PackPanel(job.B, job.Ldb, job.BKind == BOperand.Transposed, pc, kc, j, cols, bBuf); bp = bBuf; }
                        float* cp = job.C + (nint)ic * job.Ldc + j;
                        for (int ir = 0; ir < mc; ir += MR)
                            GemmKernels.Tile(job.Isa, kc, aBuf + ir * kc, bp, cp + (nint)ir * job.Ldc, job.Ldc, Math.Min(MR, mc - ir), cols, overwrite);
                    }
                }
            }
        }
    }

    // dst holds ceil(mc/8) micro-panels of (kc,8): dst[q*8*kc + p*8 + r] = A(ic + 8q + r, pc + p)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    private static void PackA(in GemmJob job, int ic, int mc, int pc, int kc, float* dst)
    {
        nint rs = job.ARowStride, cs = job.AColStride;
        for (int ir = 0; ir < mc; ir += MR, dst += MR * kc)
        {
            int rows = Math.Min(MR, mc - ir);
            float* src = job.A + (ic + ir) * rs + pc * cs;
            if (cs == 1)
            {
                for (int r = 0; r < rows; r++)
                {
                    float* s = src + r * rs, d = dst + r;
                    for (int p = 0; p < kc; p++) d[p * MR] = s[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* s = src + p * cs, d = dst + p * MR;
                    for (int r = 0; r < rows; r++) d[r] = s[r * rs];
                }
            }
        }
    }

    // dst[q*ldd + i] = src[i*lds + q] for an 8x8 block
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int lds, float* dst, int ldd)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds); var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds); var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds); var r7 = Avx.LoadVector256(src + 7 * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    // dst is (kc,32): dst[p*32 + jj] = B(pc + p, j + jj), zero for jj >= cols.
    // B is (K,N) with row stride ldb, or when transposed (N,K) with row stride ldb.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]  // SIMD loops: skip the slow first JIT tier
    public static void PackPanel(float* b, int ldb, bool transposed, int pc, int kc, int j, int cols, float* dst)
    {
        if (!transposed)
        {
            float* src = b + (nint)pc * ldb + j;
            if (cols == NR)
            {
                // a plain loop of vector copies: a library copy call per 128-byte row costs more than the copy
                for (int p = 0; p < kc; p++, src += ldb, dst += NR)
                {
                    Vector256.Store(Vector256.Load(src), dst);
                    Vector256.Store(Vector256.Load(src + 8), dst + 8);
                    Vector256.Store(Vector256.Load(src + 16), dst + 16);
                    Vector256.Store(Vector256.Load(src + 24), dst + 24);
                }
                return;
            }
            for (int p = 0; p < kc; p++, src += ldb, dst += NR)
            {
                for (int jj = 0; jj < cols; jj++) dst[jj] = src[jj];
                for (int jj = cols; jj < NR; jj++) dst[jj] = 0f;
            }
            return;
        }
        int p0 = 0;
        if (cols == NR && Avx.IsSupported)
        {
            // 8x8 register transposes: the scalar gather below costs more than the arithmetic when a has few rows
            for (; p0 <= kc - 8; p0 += 8)
                for (int jj = 0; jj < NR; jj += 8)
                    Transpose8x8(b + (nint)(j + jj) * ldb + pc + p0, ldb, dst + p0 * NR + jj, NR);
        }
        for (int jj = 0; jj < cols; jj++)
        {
            float* s = b + (nint)(j + jj) * ldb + pc, d = dst + jj;
            for (int p = p0; p < kc; p++) d[p * NR] = s[p];
        }
        if (cols < NR)
            for (int p = 0; p < kc; p++) new Span<float>(dst + p * NR + cols, NR - cols).Clear();
    }
}
