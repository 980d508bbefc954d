// Both patching engines against the float64 reference sweeps of the tiny fixture (no BOS).
using CircuitLens.Patching;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Patching;

public class PatchingFixtureTests
{
    private static PatchingBatch FixtureBatch()
    {
        var pairs = TinyGpt2.Pairs;
        return new PatchingBatch(pairs.Select(p => p.CleanIds).ToList(), pairs.Select(p => p.CorruptIds).ToList(),
            pairs.Select(p => p.AnswerId).ToArray(), pairs.Select(p => p.WrongId).ToArray());
    }

    public static TheoryData<string, string> Sweeps => new()
    {
        { "head-z", "head_z" }, { "head-q", "head_q" }, { "head-k", "head_k" }, { "head-v", "head_v" }, { "head-pattern", "head_pattern" },
        { "resid-pre", "pos_resid_pre" }, { "attn-out", "pos_attn_out" }, { "mlp-out", "pos_mlp_out" },
    };

    [Theory, MemberData(nameof(Sweeps))]
    public void PlainSweepMatchesReference(string sweep, string file)
    {
        var result = ActivationPatching.Run(TinyGpt2.Model, FixtureBatch(), Sweep.Parse(sweep)[0]);
        AssertMatchesFixture(result, file);
    }

    [Theory, MemberData(nameof(Sweeps))]
    public void FastSweepMatchesReference(string sweep, string file)
    {
        var result = FastActivationPatching.Run(TinyGpt2.Model, FixtureBatch(), Sweep.Parse(sweep)[0], new FastPatchingOptions { MaxRowsPerRun = 7 });
        AssertMatchesFixture(result, file);
    }

    private static void AssertMatchesFixture(PatchingResult result, string file)
    {
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", "clean_logit_diff.npy")).Data, result.CleanMetric, "clean_logit_diff");
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", "corrupt_logit_diff.npy")).Data, result.CorruptMetric, "corrupt_logit_diff");
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", file + ".npy")), result.Patched, file);
    }

    [Fact]
    public void PatchingTheDifferingResidPositionAtLayer0RestoresCleanAndEarlierPositionsDoNothing()
    {
        var data = FixtureBatch();
        var result = FastActivationPatching.Run(TinyGpt2.Model, data, Sweep.ResidPre);
        var normalized = result.NormalizedPerExample();
        for (int b = 0; b < data.Count; b++)
        {
            int d = data.FirstDifference[b];
            Assert.Equal(9, d);                                   // the S2 name
            Assert.Equal(1f, normalized[b, 0, d], 3);
            for (int p = 0; p < d; p++)
                Assert.Equal(result.CorruptMetric[b], result.Patched[b, 0, p]);
        }
    }

    [Fact]
    public void NormalisationFormsAreConsistent()
    {
        var result = FastActivationPatching.Run(TinyGpt2.Model, FixtureBatch(), Sweep.HeadZ);
        var perExample = result.NormalizedPerExample();
        var mean = result.NormalizedMean();
        Assert.Equal(new[] { 3, 4 }, mean.Shape);
        for (int l = 0; l < 3; l++)
            for (int h = 0; h < 4; h++)
            {
                double p = 0, c = 0, k = 0;
                for (int b = 0; b < 4; b++) { p += result.Patched[b, l, h]; c += result.CleanMetric[b]; k += result.CorruptMetric[b]; }
                Assert.Equal((p - k) / (c - k), mean[l, h], 4);
                float e0 = (result.Patched[0, l, h] - result.CorruptMetric[0]) / (result.CleanMetric[0] - result.CorruptMetric[0]);
                Assert.Equal(e0, perExample[0, l, h], 5);
            }
    }
}
