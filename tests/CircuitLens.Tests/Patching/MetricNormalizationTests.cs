// The one normalisation activation patching and path patching share (MetricNormalization): each
// baseline's formula on hand-computed numbers, degenerate pairs NaN per example and left out of the
// batch mean in both kinds of patching, NaN entries skipped, and the two result types agreeing with it.
using CircuitLens.Circuits;
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Patching;

public class MetricNormalizationTests
{
    // 3 pairs × 2 components; pair 2 (index 1) is degenerate (clean = corrupt)
    private static readonly float[] Clean = [3f, 2f, 5f];
    private static readonly float[] Corrupt = [1f, 2f, 1f];
    private static Tensor Patched() => new([2f, float.NaN, 100f, 100f, 3f, 4f], 3, 2);

    [Fact]
    public void ActivationPatchingMeasuresFromTheCorruptedMetric()
    {
        var perExample = MetricNormalization.PerExample(Patched(), Clean, Corrupt, NormalizationBaseline.Corrupt);
        Assert.Equal(0.5f, perExample[0, 0]);                 // (2 − 1)/(3 − 1)
        Assert.True(float.IsNaN(perExample[0, 1]));           // NaN entry stays NaN
        Assert.True(float.IsNaN(perExample[1, 0]) && float.IsNaN(perExample[1, 1]));   // degenerate pair
        Assert.Equal(0.5f, perExample[2, 0]);                 // (3 − 1)/(5 − 1)
        Assert.Equal(0.75f, perExample[2, 1]);

        var mean = MetricNormalization.BatchMean(Patched(), Clean, Corrupt, NormalizationBaseline.Corrupt);
        Assert.Equal((2f + 3f - 2f) / (8f - 2f), mean[0], 6);    // pairs 1 and 3: (Σ patched − Σ corrupt)/(Σ clean − Σ corrupt)
        Assert.Equal((4f - 1f) / (5f - 1f), mean[1], 6);         // pair 3 only: pair 1 is NaN there, pair 2 degenerate
    }

    [Fact]
    public void PathPatchingMeasuresFromTheCleanMetric()
    {
        var perExample = MetricNormalization.PerExample(Patched(), Clean, Corrupt, NormalizationBaseline.Clean);
        Assert.Equal(-0.5f, perExample[0, 0]);                // (2 − 3)/(3 − 1)
        Assert.True(float.IsNaN(perExample[1, 0]));
        Assert.Equal(-0.5f, perExample[2, 0]);                // (3 − 5)/(5 − 1)
        Assert.Equal(-0.25f, perExample[2, 1]);

        var mean = MetricNormalization.BatchMean(Patched(), Clean, Corrupt, NormalizationBaseline.Clean);
        Assert.Equal((5f - 8f) / (8f - 2f), mean[0], 6);
        Assert.Equal((4f - 5f) / (5f - 1f), mean[1], 6);
    }

    [Fact]
    public void BothResultTypesUseTheSharedNormalisation()
    {
        var activation = new PatchingResult(Sweep.HeadZ, Patched(), Clean, Corrupt);
        var path = new PathPatchingResult(PathReceivers.Logits, Patched(), Clean, Corrupt, "logit-diff");
        Assert.Equal(MetricNormalization.BatchMean(Patched(), Clean, Corrupt, NormalizationBaseline.Corrupt).Data, activation.NormalizedMean().Data);
        Assert.Equal(MetricNormalization.PerExample(Patched(), Clean, Corrupt, NormalizationBaseline.Corrupt).Data, activation.NormalizedPerExample().Data);
        Assert.Equal(MetricNormalization.BatchMean(Patched(), Clean, Corrupt, NormalizationBaseline.Clean).Data, path.NormalizedMean().Data);
        Assert.Equal(MetricNormalization.PerExample(Patched(), Clean, Corrupt, NormalizationBaseline.Clean).Data, path.NormalizedPerExample().Data);
        Assert.Equal([1], path.DegeneratePairs());
        Assert.Equal([1], PatchingResult.DegeneratePairs(Clean, Corrupt));
    }

    [Fact]
    public void AColumnWithNoEntryIsNaN()
    {
        var patched = new Tensor([float.NaN, 1f, float.NaN, 1f], 2, 2);   // component 0: no sender path in any pair
        var mean = MetricNormalization.BatchMean(patched, [1f, 2f], [0f, 0f], NormalizationBaseline.Clean);
        Assert.True(float.IsNaN(mean[0]));
        Assert.False(float.IsNaN(mean[1]));
    }
}
