// Properties of the tensor kernels on random shapes and values (FsCheck): every GEMM entry point equals a
// naive double-precision product, softmax rows are probability distributions (masked keys get 0, a fully
// masked row is all zero), and LayerNorm's output rows have mean 0 and variance v/(v+eps) ≈ 1. Shapes are
// drawn to straddle the kernels' block sizes; the data comes from a drawn seed, so a failure replays.
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CircuitLens.Tests.Tensors;

public enum GemmForm { AB, ABt, AtB, PackedAB }

public sealed record GemmCase(int M, int K, int N, GemmForm Form, bool Accumulate, int Seed);
public sealed record SoftmaxCase(int Rows, int T, float Scale, int Masked, int Seed);
public sealed record LayerNormCase(int Rows, int C, float Scale, float Offset, int Seed);

public static class KernelArbitraries
{
    private static Gen<int> Dim(int max) => Gen.Frequency((3, Gen.Choose(1, 20)), (2, Gen.Choose(1, max)), (1, Gen.Elements(1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65)));

    public static Arbitrary<GemmCase> Gemm() =>
        (from m in Dim(90)
         from k in Dim(130)
         from n in Dim(90)
         from form in Gen.Elements(GemmForm.AB, GemmForm.ABt, GemmForm.AtB, GemmForm.PackedAB)
         from accumulate in Gen.Elements(false, true)
         from seed in Gen.Choose(0, int.MaxValue)
         select new GemmCase(m, k, n, form, accumulate, seed)).ToArbitrary();

    public static Arbitrary<SoftmaxCase> Softmax() =>
        (from rows in Gen.Choose(1, 12)
         from t in Gen.Choose(1, 200)
         from scale in Gen.Elements(0.01f, 1f, 30f, 1000f)
         from masked in Gen.Choose(0, t)   // keys masked with -Inf at the row's end (t = the whole row)
         from seed in Gen.Choose(0, int.MaxValue)
         select new SoftmaxCase(rows, t, scale, masked, seed)).ToArbitrary();

    public static Arbitrary<LayerNormCase> LayerNorm() =>
        (from rows in Gen.Choose(1, 8)
         from c in Gen.Choose(2, 300)
         from scale in Gen.Elements(0.1f, 1f, 10f, 100f)
         from offset in Gen.Choose(-10, 10)
         from seed in Gen.Choose(0, int.MaxValue)
         select new LayerNormCase(rows, c, scale, offset * scale, seed)).ToArbitrary();
}

[Properties(Arbitrary = [typeof(KernelArbitraries)], MaxTest = 150)]
public class KernelPropertyTests
{
    private static float[] Random(int length, Random rng, float scale = 1, float offset = 0)
    {
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = offset + scale * (rng.NextSingle() * 2f - 1f);
        return x;
    }

    [Property]
    public void GemmEqualsTheNaiveProduct(GemmCase g)
    {
        var rng = new Random(g.Seed);
        int m = g.M, k = g.K, n = g.N;
        var a = Random(m * k, rng);                       // (M,K), or (K,M) for AtB
        var b = Random(k * n, rng);                       // (K,N), or (N,K) for ABt
        var c = Random(m * n, rng);
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = g.Accumulate ? c[i * n + j] : 0;
                for (int p = 0; p < k; p++)
                {
                    double av = g.Form == GemmForm.AtB ? a[p * m + i] : a[i * k + p];
                    double bv = g.Form == GemmForm.ABt ? b[j * k + p] : b[p * n + j];
                    sum += av * bv;
                }
                expected[i * n + j] = sum;
            }

        switch (g.Form)
        {
            case GemmForm.AB: Gemm.MatMul(c, a, b, m, k, n, g.Accumulate); break;
            case GemmForm.ABt: Gemm.MatMulTransB(c, a, b, m, k, n, g.Accumulate); break;
            case GemmForm.AtB: Gemm.MatMulTransA(c, a, b, m, k, n, g.Accumulate); break;
            case GemmForm.PackedAB: Gemm.MatMul(c, a, Gemm.Pack(b, k, n), m, g.Accumulate); break;
        }
        double tolerance = 1e-5 * (k + 1);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - c[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"{g}: element {i} is {c[i]}, expected {expected[i]}");
    }

    [Property]
    public void SoftmaxRowsAreDistributions(SoftmaxCase s)
    {
        var rng = new Random(s.Seed);
        var scores = Random(s.Rows * s.T, rng, s.Scale);
        int keep = s.T - s.Masked;
        for (int r = 0; r < s.Rows; r++)
            scores.AsSpan(r * s.T + keep, s.Masked).Fill(float.NegativeInfinity);
        var pattern = new float[scores.Length];
        Attention.SoftmaxForward(pattern, scores, s.Rows, s.T);

        for (int r = 0; r < s.Rows; r++)
        {
            var row = pattern.AsSpan(r * s.T, s.T);
            double sum = 0;
            for (int j = 0; j < s.T; j++)
            {
                Assert.True(row[j] is >= 0 and <= 1, $"{s}: p[{r},{j}] = {row[j]}");
                if (j >= keep) Assert.True(row[j] == 0, $"{s}: masked key {j} got {row[j]}");
                sum += row[j];
            }
            double expectedSum = keep == 0 ? 0 : 1; // a fully masked row attends nowhere
            Assert.True(Math.Abs(sum - expectedSum) <= 1e-5 * Math.Max(1, keep / 16.0), $"{s}: row {r} sums to {sum}");
            if (keep > 0)
            {
                // the largest score gets the largest probability
                int argmax = 0;
                for (int j = 1; j < keep; j++) if (scores[r * s.T + j] > scores[r * s.T + argmax]) argmax = j;
                Assert.Equal(row[..keep].ToArray().Max(), row[argmax]);
            }
        }
    }

    [Property]
    public void LayerNormRowsHaveMeanZeroAndUnitVariance(LayerNormCase l)
    {
        const float eps = 1e-5f;
        var rng = new Random(l.Seed);
        var x = Random(l.Rows * l.C, rng, l.Scale, l.Offset);
        var centered = new float[x.Length];
        var scale = new float[l.Rows];
        var output = new float[x.Length];
        var ones = Enumerable.Repeat(1f, l.C).ToArray();
        var zeros = new float[l.C];
        LayerNorm.ScaleForward(centered, scale, x, l.Rows, l.C, eps);
        LayerNorm.NormalizeForward(output, centered, scale, ones, zeros, l.Rows, l.C);

        for (int r = 0; r < l.Rows; r++)
        {
            var row = x.AsSpan(r * l.C, l.C).ToArray().Select(v => (double)v).ToArray();
            double inMean = row.Average(), inVar = row.Select(v => (v - inMean) * (v - inMean)).Average();
            var y = output.AsSpan(r * l.C, l.C).ToArray().Select(v => (double)v).ToArray();
            double mean = y.Average(), variance = y.Select(v => (v - mean) * (v - mean)).Average();
            Assert.True(Math.Abs(mean) <= 1e-4, $"{l}: row {r} mean {mean}");
            double expected = inVar / (inVar + eps);    // 1 up to eps
            Assert.True(Math.Abs(variance - expected) <= 1e-3, $"{l}: row {r} variance {variance}, expected {expected}");
            Assert.True(Math.Abs(scale[r] - Math.Sqrt(inVar + eps)) <= 1e-3 * Math.Sqrt(inVar + eps), $"{l}: row {r} scale {scale[r]}");
        }
    }
}
