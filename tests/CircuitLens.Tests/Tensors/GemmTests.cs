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
        data.Add(65, 257, 97);   // more than one K block, tail rows and tail panel
        data.Add(129, 300, 129);
        data.Add(400, 64, 70);   // more than one M block
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AllEntryPointsMatchTheReference(int m, int k, int n)
    {
        var a = RandomArray(m * k, 1);
        var b = RandomArray(k * n, 2);
        var bt = new float[n * k];
        for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
        var at = new float[k * m];
        for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) at[p * m + i] = a[i * k + p];
        var start = RandomArray(m * n, 3);
        var packed = Gemm.Pack(b, k, n);
        var packedT = Gemm.PackTransposed(bt, k, n);

        foreach (bool accumulate in new[] { false, true })
        {
            var expected = Reference(start, n, a, k, 1, b, n, 1, m, k, n, accumulate);
            foreach (int threads in new[] { 1, 2 })
            {
                string tag = $"m={m} k={k} n={n} accumulate={accumulate} threads={threads}";
                float[] c;
                c = (float[])start.Clone(); Gemm.Product(c, n, a, k, false, b, n, BOperand.RowMajor, m, k, n, accumulate, threads, GemmKernels.BestIsa);
                AssertClose(expected, c, k, "MatMul " + tag);
                c = (float[])start.Clone(); Gemm.Product(c, n, a, k, false, bt, k, BOperand.Transposed, m, k, n, accumulate, threads, GemmKernels.BestIsa);
                AssertClose(expected, c, k, "MatMulTransB " + tag);
                c = (float[])start.Clone(); Gemm.Product(c, n, at, m, true, b, n, BOperand.RowMajor, m, k, n, accumulate, threads, GemmKernels.BestIsa);
                AssertClose(expected, c, k, "MatMulTransA " + tag);
                c = (float[])start.Clone(); Gemm.MatMulCore(c, n, a, k, packed, m, accumulate, threads, GemmKernels.BestIsa);
                AssertClose(expected, c, k, "packed MatMul " + tag);
                c = (float[])start.Clone(); Gemm.MatMulCore(c, n, a, k, packedT, m, accumulate, threads, GemmKernels.BestIsa);
                AssertClose(expected, c, k, "PackTransposed MatMul " + tag);
            }
        }
    }
}
