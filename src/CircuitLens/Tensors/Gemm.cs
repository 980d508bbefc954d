// Matrix products for the forward and backward passes. All matrices are row-major float32.
// This file is the public contract: argument checks, the choice of how many threads a product
// gets, and pinning. The blocking loops live in GemmDriver, the SIMD micro-kernels in GemmKernels,
// the few-row a·bᵀ dot products in GemmDot, the threads in GemmWorkers. Results are deterministic:
// K is never split between threads, so every output is summed in the same order whatever
// MaxThreads is (and the AVX-512, AVX2 and portable panel kernels give the same bits).
using System.Diagnostics;

namespace CircuitLens.Tensors;

public static class Gemm
{
    private const int NR = GemmKernels.NR;
    private const double MinFlopsPerThread = 1e6;  // below ~2 MFLOP in all, a second thread costs more than it saves

    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// Most threads a single product may use (defaults to all cores; 1 = never use another thread).
    /// Set it to 1 when running independent forwards in parallel yourself: only one product at a time
    /// uses the GEMM worker threads, the others run on their calling thread.
    /// </summary>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set => s_maxThreads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxThreads must be at least 1");
    }

    // c is (M,N), a is (M,K), b is (K,N): c = a·b, or c += a·b when accumulate
    public static void MatMul(Span<float> c, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n, bool accumulate = false)
        => MatMul(c, n, a, k, b, n, m, k, n, accumulate);

    // strided form: row i of a starts at a[i*lda], row p of b at b[p*ldb], row i of c at c[i*ldc]
    public static void MatMul(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, bool accumulate = false)
        => Product(c, ldc, a, lda, false, b, ldb, BOperand.RowMajor, m, k, n, accumulate, MaxThreads, GemmKernels.BestIsa);

    // c is (M,N), a is (M,K), b is (N,K): c = a·bᵀ, or c += a·bᵀ when accumulate
    public static void MatMulTransB(Span<float> c, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n, bool accumulate = false)
        => MatMulTransB(c, n, a, k, b, k, m, k, n, accumulate);

    // strided form: row i of a starts at a[i*lda], row j of b at b[j*ldb], row i of c at c[i*ldc]
    public static void MatMulTransB(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n, bool accumulate = false)
        => Product(c, ldc, a, lda, false, b, ldb, BOperand.Transposed, m, k, n, accumulate, MaxThreads, GemmKernels.BestIsa);

    // c is (M,N), a is (K,M), b is (K,N): c = aᵀ·b, or c += aᵀ·b when accumulate
    public static void MatMulTransA(Span<float> c, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n, bool accumulate = false)
        => Product(c, n, a, m, true, b, n, BOperand.RowMajor, m, k, n, accumulate, MaxThreads, GemmKernels.BestIsa);

    /// <summary>Packs a constant (K,N) matrix b once, for products a·b with <see cref="MatMul(Span{float}, ReadOnlySpan{float}, PackedMatrix, int, bool)"/>.</summary>
    public static PackedMatrix Pack(ReadOnlySpan<float> b, int k, int n) => PackCore(b, k, n, transposed: false);

    /// <summary>Packs a constant (N,K) matrix bt once, for products a·btᵀ (e.g. the unembedding with wte).</summary>
    public static PackedMatrix PackTransposed(ReadOnlySpan<float> bt, int k, int n) => PackCore(bt, k, n, transposed: true);

    // c is (M,N), a is (M,K), b is packed (K,N): c = a·b, or c += a·b when accumulate
    public static void MatMul(Span<float> c, ReadOnlySpan<float> a, PackedMatrix b, int m, bool accumulate = false)
    {
        ArgumentNullException.ThrowIfNull(b);
        MatMul(c, b.N, a, b.K, b, m, accumulate);
    }

    // strided form: row i of a starts at a[i*lda], row i of c at c[i*ldc]
    public static void MatMul(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, PackedMatrix b, int m, bool accumulate = false)
        => MatMulCore(c, ldc, a, lda, b, m, accumulate, MaxThreads, GemmKernels.BestIsa);

    /// <summary>
    /// Measures this kernel's practical peak in GFLOP/s: the best of <paramref name="repeats"/> timed
    /// (size,size)·(size,size) products with a packed right operand, on <paramref name="threads"/> threads.
    /// </summary>
    public static double MeasurePeakGflops(int threads, int size = 1536, int repeats = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        var random = new Random(1234);
        var a = new float[size * size];
        var b = new float[size * size];
        var c = new float[size * size];
        for (int i = 0; i < a.Length; i++) { a[i] = random.NextSingle() - 0.5f; b[i] = random.NextSingle() - 0.5f; }
        var packed = Pack(b, size, size);
        MatMulCore(c, size, a, size, packed, size, false, threads, GemmKernels.BestIsa);  // warm up JIT, caches, workers
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            MatMulCore(c, size, a, size, packed, size, false, threads, GemmKernels.BestIsa);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return 2.0 * size * size * (double)size / best / 1e9;
    }

    // ---- internals (also the test seam: explicit thread count and instruction set) ----

    internal static unsafe void MatMulCore(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, PackedMatrix b, int m, bool accumulate, int threads, GemmIsa isa)
    {
        ArgumentNullException.ThrowIfNull(b);
        int k = b.K, n = b.N;
        CheckDims(m, k, n);
        CheckMatrix(c.Length, m, n, ldc, nameof(c));
        CheckMatrix(a.Length, m, k, lda, nameof(a));
        if (m == 0 || n == 0) return;
        if (k == 0) { ClearOrKeep(c, ldc, m, n, accumulate); return; }
        fixed (float* cp = c)
        fixed (float* ap = a)
        fixed (float* bp = b.Panels)
        {
            var job = new GemmJob
            {
                C = cp, Ldc = ldc, A = ap, ARowStride = lda, AColStride = 1,
                B = bp, Ldb = NR, BKind = BOperand.Packed, M = m, N = n, K = k,
                Accumulate = accumulate, Isa = isa,
            };
            Schedule(ref job, threads);
            GemmWorkers.Run(job);
        }
    }

    // a is (M,K) with row stride lda, or when aTransposed (K,M) with row stride lda
    internal static unsafe void Product(Span<float> c, int ldc, ReadOnlySpan<float> a, int lda, bool aTransposed,
        ReadOnlySpan<float> b, int ldb, BOperand bKind, int m, int k, int n, bool accumulate, int threads, GemmIsa isa)
    {
        CheckDims(m, k, n);
        CheckMatrix(c.Length, m, n, ldc, nameof(c));
        if (aTransposed) CheckMatrix(a.Length, k, m, lda, nameof(a));
        else CheckMatrix(a.Length, m, k, lda, nameof(a));
        if (bKind == BOperand.Transposed) CheckMatrix(b.Length, n, k, ldb, nameof(b));
        else CheckMatrix(b.Length, k, n, ldb, nameof(b));
        if (m == 0 || n == 0) return;
        if (k == 0) { ClearOrKeep(c, ldc, m, n, accumulate); return; }
        fixed (float* cp = c)
        fixed (float* ap = a)
        fixed (float* bp = b)
        {
            var job = new GemmJob
            {
                C = cp, Ldc = ldc, A = ap, ARowStride = aTransposed ? 1 : lda, AColStride = aTransposed ? lda : 1,
                B = bp, Ldb = ldb, BKind = bKind, M = m, N = n, K = k,
                Accumulate = accumulate, Isa = isa,
                Dots = bKind == BOperand.Transposed && m <= GemmDot.MaxRows && isa == GemmIsa.Avx512,
            };
            Schedule(ref job, threads);
            GemmWorkers.Run(job);
        }
    }

    // Small products stay on one thread. Few rows: the pieces are ranges of 32-column panels (every
    // thread reads the same small A). Many rows: ranges of rows. A few pieces per thread, so a thread
    // that starts late (a sleeping worker) or runs slower just takes fewer.
    private static void Schedule(ref GemmJob job, int threads)
    {
        const int PartsPerThread = 3;
        double flops = 2.0 * job.M * job.N * job.K;
        int useful = (int)Math.Clamp(flops / MinFlopsPerThread, 1, Math.Max(threads, 1));
        int panels = (job.N + NR - 1) / NR, rowBlocks = (job.M + GemmKernels.MR - 1) / GemmKernels.MR;
        job.SplitRows = !job.Dots && (job.M >= 128 * useful || panels < 2 * useful);
        int units = job.Dots ? (job.N + GemmDot.Group - 1) / GemmDot.Group : job.SplitRows ? rowBlocks : panels;
        job.Threads = Math.Min(useful, units);
        job.Parts = job.Threads == 1 ? 1 : Math.Min(units, job.Threads * PartsPerThread);
    }

    internal static unsafe PackedMatrix PackCore(ReadOnlySpan<float> b, int k, int n, bool transposed)
    {
        CheckDims(1, k, n);
        CheckMatrix(b.Length, transposed ? n : k, transposed ? k : n, transposed ? k : n, transposed ? "bt" : "b");
        var packed = new PackedMatrix(k, n);
        if (k == 0 || n == 0) return packed;
        fixed (float* src = b)
        fixed (float* dst = packed.Panels)
        {
            int ld = transposed ? k : n;
            for (int panel = 0; panel < packed.PanelCount; panel++)
            {
                int j = panel * NR;
                GemmDriver.PackPanel(src, ld, transposed, 0, k, j, Math.Min(NR, n - j), dst + (nint)panel * k * NR);
            }
        }
        return packed;
    }

    private static void ClearOrKeep(Span<float> c, int ldc, int m, int n, bool accumulate)
    {
        if (accumulate) return;
        for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
    }

    private static void CheckDims(int m, int k, int n)
    {
        if (m < 0 || k < 0 || n < 0) throw new ArgumentOutOfRangeException(nameof(m), $"matrix dimensions must be non-negative (m={m}, k={k}, n={n})");
    }

    // a (rows,cols) matrix with row stride ld must fit in length floats
    private static void CheckMatrix(int length, int rows, int cols, int ld, string name)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentException($"{name}: row stride {ld} is smaller than the row length {cols}", name);
        long needed = (long)(rows - 1) * ld + cols;
        if (needed > length) throw new ArgumentException($"{name}: a ({rows},{cols}) matrix with row stride {ld} needs {needed} floats but the span has {length}", name);
    }
}
