// The prob-diff and logit-diff-to-max metrics against the float64 reference of the tiny fixture
// (expected/metrics/): the pair files are read with PairFile, each pair runs alone (no BOS), and
// every engine must give the clean and corrupted metric and the RAW head-z sweep within tolerance.
using CircuitLens.Patching;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Patching;

public class MetricFixtureTests
{
    // prob-diff values are small on a random model: the fixtures README gives it a tighter absolute tolerance
    private static (double Atol, double Rtol) Tolerance(string folder) => folder == "prob_diff" ? (1e-7, 1e-4) : (1e-4, 1e-3);

    private static TokenizedPairs Pairs(string folder) =>
        PairFile.Read(TinyGpt2.Expected("metrics", folder, "pairs.jsonl")).Tokenize(TinyGpt2.Model, prependBos: false);

    public static TheoryData<string, string, string> Cases => new()
    {
        { "prob_diff", "prob-diff", "plain" }, { "prob_diff", "prob-diff", "exact" },
        { "logit_diff_to_max", "logit-diff-to-max", "plain" }, { "logit_diff_to_max", "logit-diff-to-max", "exact" },
    };

    [Theory, MemberData(nameof(Cases))]
    public void HeadZSweepMatchesReferencePairByPair(string folder, string metric, string engine)
    {
        var pairs = Pairs(folder);
        Assert.Equal(metric, pairs.Metric.Name);
        var batch = pairs.ToPatchingBatch();
        var (atol, rtol) = Tolerance(folder);
        var clean = NpyFile.Read(TinyGpt2.Expected("metrics", folder, "clean_metric.npy"));
        var corrupt = NpyFile.Read(TinyGpt2.Expected("metrics", folder, "corrupt_metric.npy"));
        var headZ = NpyFile.Read(TinyGpt2.Expected("metrics", folder, "head_z.npy"));
        Assert.Equal(batch.Count, clean.Length);
        for (int i = 0; i < batch.Count; i++)
        {
            var alone = batch.Slice(i, 1);
            var result = engine == "plain"
                ? ActivationPatching.Run(TinyGpt2.Model, alone, Sweep.HeadZ)
                : FastActivationPatching.Run(TinyGpt2.Model, alone, Sweep.HeadZ);
            Assert.Equal(metric, result.Metric);
            TensorAssert.Close(clean.Data.AsSpan(i, 1), result.CleanMetric, $"pair {i} clean_metric", atol, rtol);
            TensorAssert.Close(corrupt.Data.AsSpan(i, 1), result.CorruptMetric, $"pair {i} corrupt_metric", atol, rtol);
            TensorAssert.Close(headZ.Slice(i), result.Patched.Span, $"pair {i} head_z", atol, rtol);
        }
    }

    [Theory]
    [InlineData("prob_diff")]
    [InlineData("logit_diff_to_max")]
    public void ThePaddedBatchGivesTheReferenceToo(string folder)
    {
        var batch = Pairs(folder).ToPatchingBatch();
        var (atol, rtol) = Tolerance(folder);
        var result = FastActivationPatching.Run(TinyGpt2.Model, batch, Sweep.HeadZ);
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("metrics", folder, "clean_metric.npy")).Data, result.CleanMetric, "clean_metric", atol, rtol);
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("metrics", folder, "head_z.npy")), result.Patched, "head_z", atol, rtol);
    }
}
