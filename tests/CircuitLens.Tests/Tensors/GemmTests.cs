// Checks every Gemm entry point against a naive double-precision product, across awkward shapes,
// strides, accumulate, thread counts, instruction sets and packed vs unpacked right operands.
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Tensors;

public class GemmTests
{
    private static readonly int[] Awkward = [1, 3, 7, 15, 17, 31, 33, 63, 65, 129];

    private static float[] RandomArray(int length, int seed)
    {
        var random = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = random.NextSingle() * 2f - 1f;
        return x;
    }

    // c (M,N) with row stride ldc; element (i,p) of A is a[i*ars + p*acs]; element (p,j) of B is b[p*brs + j*bcs]
    private static double[] Reference(float[] cStart, int ldc, float[] a, int ars, int acs, float[] b, int brs, int bcs, int m, int k, int n, bool accumulate)
    {
        var c = new double[cStart.Length];
        for (int i = 0; i < c.Length; i++) c[i] = cStart[i];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)a[i * ars + p * acs] * b[p * brs + j * bcs];
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
            }
        return c;
    }

    private static void AssertClose(double[] expected, float[] actual, int k, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double tolerance = 1e-5 * Math.Max(k, 1) + 1e-5;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]);
            if (!(error <= tolerance * (1 + Math.Abs(expected[i]))))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int m in Awkward) data.Add(m, 17, 33);
        foreach (int k in Awkward) data.Add(9, k, 40);
        foreach (int n in Awkward) data.Add(13, 31, n);
        data.Add(1, 1, 1);
        data.Add(65, 257, 97);   // tail rows and tail panel
        data.Add(20, 1100, 40);  // three K blocks of an odd size
        data.Add(129, 300, 129);
        data.Add(400, 64, 70);   // more than one M block
        return data;
    }

    private static GemmIsa[] SupportedIsas()
    {
        var isas = new List<GemmIsa> { GemmIsa.Portable };
        if (GemmKernels.BestIsa >= GemmIsa.Avx2) isas.Add(GemmIsa.Avx2);
        if (GemmKernels.BestIsa >= GemmIsa.Avx512) isas.Add(GemmIsa.Avx512);
        return [.. isas];
    }

    private static float[] Transpose(float[] x, int rows, int cols)
    {
        var t = new float[x.Length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AllEntryPointsMatchTheReference(int m, int k, int n)
    {
        var a = RandomArray(m * k, 1);
        var b = RandomArray(k * n, 2);
        var bt = Transpose(b, k, n);
        var at = Transpose(a, m, k);
        var start = RandomArray(m * n, 3);
        var packed = Gemm.Pack(b, k, n);
        var packedT = Gemm.PackTransposed(bt, k, n);

        foreach (bool accumulate in new[] { false, true })
        {
            var expected = Reference(start, n, a, k, 1, b, n, 1, m, k, n, accumulate);
            float[]? first = null;
            foreach (var isa in SupportedIsas())
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    // the scalar fallback is slow in Debug test builds: check it on the smaller shapes only
                    if (isa == GemmIsa.Portable && (long)m * k * n > 1_000_000) continue;
                    string tag = $"m={m} k={k} n={n} accumulate={accumulate} threads={threads} isa={isa}";
                    float[] c;
                    c = (float[])start.Clone(); Gemm.Product(c, n, a, k, false, b, n, BOperand.RowMajor, m, k, n, accumulate, threads, isa);
                    AssertClose(expected, c, k, "MatMul " + tag);
                    // K is never split, so every instruction set and thread count gives the same bits
                    first ??= c;
                    Assert.Equal(first, c);
                    c = (float[])start.Clone(); Gemm.Product(c, n, a, k, false, bt, k, BOperand.Transposed, m, k, n, accumulate, threads, isa);
                    AssertClose(expected, c, k, "MatMulTransB " + tag);
                    c = (float[])start.Clone(); Gemm.Product(c, n, at, m, true, b, n, BOperand.RowMajor, m, k, n, accumulate, threads, isa);
                    AssertClose(expected, c, k, "MatMulTransA " + tag);
                    Assert.Equal(first, c);
                    c = (float[])start.Clone(); Gemm.MatMulCore(c, n, a, k, packed, m, accumulate, threads, isa);
                    AssertClose(expected, c, k, "packed MatMul " + tag);
                    Assert.Equal(first, c);
                    c = (float[])start.Clone(); Gemm.MatMulCore(c, n, a, k, packedT, m, accumulate, threads, isa);
                    AssertClose(expected, c, k, "PackTransposed MatMul " + tag);
                    Assert.Equal(first, c);
                }
        }
    }

    [Theory]
    [InlineData(1, 64, 64, 1)]
    [InlineData(7, 64, 37, 2)]     // attention-head-like slices of wider rows
    [InlineData(33, 100, 65, 2)]
    [InlineData(300, 64, 20, 2)]
    public void StridedOverloadsTouchOnlyTheirSubmatrix(int m, int k, int n, int threads)
    {
        int lda = k + 5, ldb = n + 3, ldbt = k + 7, ldc = n + 11;
        var a = RandomArray(m * lda, 4);
        var b = RandomArray(k * ldb, 5);
        var bt = RandomArray(n * ldbt, 6);
        var start = RandomArray(m * ldc, 7);
        int saved = Gemm.MaxThreads;
        Gemm.MaxThreads = threads;
        try
        {
            foreach (bool accumulate in new[] { false, true })
            {
                var c = (float[])start.Clone();
                Gemm.MatMul(c, ldc, a, lda, b, ldb, m, k, n, accumulate);
                AssertClose(ReferenceWithPadding(start, ldc, a, lda, 1, b, ldb, 1, m, k, n, accumulate), c, k, $"strided MatMul accumulate={accumulate}");

                c = (float[])start.Clone();
                Gemm.MatMulTransB(c, ldc, a, lda, bt, ldbt, m, k, n, accumulate);
                AssertClose(ReferenceWithPadding(start, ldc, a, lda, 1, bt, 1, ldbt, m, k, n, accumulate), c, k, $"strided MatMulTransB accumulate={accumulate}");

                // the packed form with a strided left operand and result
                var dense = new float[k * n];
                for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) dense[p * n + j] = b[p * ldb + j];
                c = (float[])start.Clone();
                Gemm.MatMul(c, ldc, a, lda, Gemm.Pack(dense, k, n), m, accumulate);
                AssertClose(ReferenceWithPadding(start, ldc, a, lda, 1, b, ldb, 1, m, k, n, accumulate), c, k, $"strided packed MatMul accumulate={accumulate}");
            }
        }
        finally
        {
            Gemm.MaxThreads = saved;
        }
    }

    // like Reference, but entries of c outside the (m,n) submatrix must keep their start values
    private static double[] ReferenceWithPadding(float[] start, int ldc, float[] a, int ars, int acs, float[] b, int brs, int bcs, int m, int k, int n, bool accumulate)
        => Reference(start, ldc, a, ars, acs, b, brs, bcs, m, k, n, accumulate);

    [Fact]
    public void PublicOverloadsAgreeOnAGpt2SizedProduct()
    {
        const int m = 300, k = 768, n = 2304;
        var a = RandomArray(m * k, 8);
        var b = RandomArray(k * n, 9);
        var bt = Transpose(b, k, n);
        var plain = new float[m * n];
        Gemm.MatMul(plain, a, b, m, k, n);
        // spot-check against double precision (the full reference would take too long)
        var random = new Random(10);
        for (int t = 0; t < 200; t++)
        {
            int i = random.Next(m), j = random.Next(n);
            double sum = 0;
            for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * b[p * n + j];
            Assert.True(Math.Abs(sum - plain[i * n + j]) <= 1e-4 + 1e-3 * Math.Abs(sum), $"c[{i},{j}] = {plain[i * n + j]}, expected {sum}");
        }
        var other = new float[m * n];
        Gemm.MatMul(other, a, Gemm.Pack(b, k, n), m);
        Assert.Equal(plain, other);
        Gemm.MatMulTransB(other, a, bt, m, k, n);
        Assert.Equal(plain, other);
        int saved = Gemm.MaxThreads;
        try
        {
            Gemm.MaxThreads = 1;
            Gemm.MatMul(other, a, b, m, k, n);
            Assert.Equal(plain, other);
        }
        finally
        {
            Gemm.MaxThreads = saved;
        }
    }

    [Fact]
    public void UnembeddingShapedTransBMatchesThePackedForm()
    {
        // few rows against a wide (N,K) matrix: the dot-product path, with odd N and K
        const int k = 72, n = 5003;
        var bt = RandomArray(n * k, 11);
        var packed = Gemm.PackTransposed(bt, k, n);
        foreach (int m in new[] { 1, 2, 5, 16, 17 })
        {
            var a = RandomArray(m * k, 12 + m);
            var viaDots = new float[m * n];
            var viaPanels = new float[m * n];
            Gemm.MatMulTransB(viaDots, a, bt, m, k, n);
            Gemm.MatMul(viaPanels, a, packed, m);
            var expected = Reference(new float[m * n], n, a, k, 1, bt, 1, k, m, k, n, false);
            AssertClose(expected, viaDots, k, $"TransB m={m}");
            AssertClose(expected, viaPanels, k, $"packed m={m}");
        }
    }

    [Fact]
    public void ConcurrentCallersGetTheSameBitsAsASingleCaller()
    {
        // only one product at a time uses the worker threads; the others fall back to their own thread
        const int m = 40, k = 96, n = 600;
        var a = RandomArray(m * k, 20);
        var packed = Gemm.Pack(RandomArray(k * n, 21), k, n);
        var expected = new float[m * n];
        Gemm.MatMulCore(expected, n, a, k, packed, m, false, 1, GemmKernels.BestIsa);
        var results = new float[4][];
        var callers = Enumerable.Range(0, results.Length).Select(t => new Thread(() =>
        {
            var c = new float[m * n];
            for (int r = 0; r < 20; r++)
            {
                Gemm.MatMulCore(c, n, a, k, packed, m, false, 2, GemmKernels.BestIsa);
                if (!c.AsSpan().SequenceEqual(expected)) break;
            }
            results[t] = c;
        })).ToArray();
        foreach (var caller in callers) caller.Start();
        foreach (var caller in callers) caller.Join();
        foreach (var c in results) Assert.Equal(expected, c);
    }

    [Fact]
    public void ZeroSizedProductsClearOrKeepTheResult()
    {
        var c = new float[] { 1, 2, 3, 4, 5, 6 };
        Gemm.MatMul(c, [], [], 2, 0, 3, accumulate: true);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, c);
        Gemm.MatMul(c, [], [], 2, 0, 3);
        Assert.All(c, x => Assert.Equal(0f, x));
        Gemm.MatMul(Span<float>.Empty, [], [1f, 2f], 0, 1, 2);  // no rows: nothing to do
    }

    [Fact]
    public void TooShortSpansAreRejected()
    {
        var a = new float[6];
        var b = new float[6];
        Assert.Throws<ArgumentException>(() => Gemm.MatMul(new float[3], a, b, 2, 3, 2));
        Assert.Throws<ArgumentException>(() => Gemm.MatMul(new float[4], new float[5], b, 2, 3, 2));
        Assert.Throws<ArgumentException>(() => Gemm.MatMulTransB(new float[4], a, new float[5], 2, 3, 2));
        Assert.Throws<ArgumentException>(() => Gemm.MatMul(new float[4], 1, a, 3, b, 2, 2, 3, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Pack(new float[5], 3, 2));
        Assert.Throws<ArgumentException>(() => Gemm.MatMul(new float[4], new float[5], Gemm.Pack(b, 3, 2), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MaxThreads = 0);
    }

    [Fact]
    public void PackedMatrixReportsItsShape()
    {
        var packed = Gemm.PackTransposed(new float[5 * 3], 3, 5);
        Assert.Equal(3, packed.K);
        Assert.Equal(5, packed.N);
    }
}
