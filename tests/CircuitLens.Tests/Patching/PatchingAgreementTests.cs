// PatchingAgreement on constructed maps where the right answer is known: a correlation of 1 with
// attribution 160× too small shows in the slope and the relative error; flipped signs show in the
// sign agreement; a map of 1e-8 noise says "no signal" with no correlation; degenerate pairs
// (clean = corrupted) are left out of every normalised map.
using System.Text.Json;
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Patching;

public sealed class PatchingAgreementTests
{
    private const int Batch = 3, Layers = 3, Heads = 4;

    // A head map whose normalised mean is exactly `map` (clean 1, corrupted 0 for every pair).
    private static PatchingResult HeadMap(float[] map)
    {
        var patched = Tensor.Zeros(Batch, Layers, Heads);
        for (int b = 0; b < Batch; b++) map.CopyTo(patched.Slice(b));
        return new PatchingResult(Sweep.HeadZ, patched, Enumerable.Repeat(1f, Batch).ToArray(), new float[Batch]);
    }

    private static float[] Signal() => Enumerable.Range(0, Layers * Heads).Select(i => (i % 2 == 0 ? 1 : -1) * (0.05f + 0.07f * i)).ToArray();

    [Fact]
    public void ScaleErrorShowsInSlopeAndRelativeErrorThoughCorrelationIsOne()
    {
        var exact = Signal();
        var a = Assert.Single(PatchingAgreement.Compare([HeadMap(exact)], [HeadMap(exact.Select(v => v / 160).ToArray())]));
        Assert.True(a.HasSignal);
        Assert.Equal(1.0, a.MeanMapCorrelation, 5);
        Assert.InRange(a.Slope, 1 / 160.0 - 1e-6, 1 / 160.0 + 1e-6);
        Assert.InRange(a.TopRelativeError, 1 - 1 / 160.0 - 1e-6, 1 - 1 / 160.0 + 1e-6);
        Assert.Equal(1.0, a.TopSignAgreement);
        Assert.Equal(10, a.TopComponents);
    }

    [Fact]
    public void FlippedSignsShowInSignAgreement()
    {
        var exact = Signal();
        var attribution = (float[])exact.Clone();
        // flip the two largest |exact| components (indices 11 and 10)
        attribution[11] = -attribution[11]; attribution[10] = -attribution[10];
        var a = Assert.Single(PatchingAgreement.Compare([HeadMap(exact)], [HeadMap(attribution)]));
        Assert.Equal(0.8, a.TopSignAgreement, 6);
        Assert.InRange(a.TopRelativeError, 0.4 - 1e-6, 0.4 + 1e-6);   // two of ten off by 200 %
        Assert.Equal("L2H3", a.LargestDisagreements[0].Component);
    }

    [Fact]
    public void NoiseBelowTheThresholdSaysNoSignal()
    {
        var rng = new Random(1);
        float[] Noise() => Enumerable.Range(0, Layers * Heads).Select(_ => (float)(rng.NextDouble() - 0.5) * 2e-8f).ToArray();
        var a = Assert.Single(PatchingAgreement.Compare([HeadMap(Noise())], [HeadMap(Noise())]));
        Assert.False(a.HasSignal);
        Assert.StartsWith("no signal", a.Verdict);
        Assert.True(double.IsNaN(a.MeanMapCorrelation) && double.IsNaN(a.PerExampleCorrelation) && double.IsNaN(a.Slope));
        Assert.StartsWith("head-z: no signal", PatchingAgreement.Summary(a));
    }

    [Fact]
    public void AgreementJsonNamesItsListForWhatItHolds()
    {
        var a = PatchingAgreement.Compare([HeadMap(Signal())], [HeadMap(Signal())]);
        string json = JsonSerializer.Serialize(a, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
        Assert.Contains("\"largest_disagreements\"", json);
        Assert.DoesNotContain("\"largest\"", json);
        foreach (var key in new[] { "slope", "top_relative_error", "top_sign_agreement", "verdict" }) Assert.Contains($"\"{key}\"", json);
    }

    [Fact]
    public void DegeneratePairsAreLeftOutOfTheNormalisedMaps()
    {
        var patched = Tensor.Zeros(Batch, Layers, Heads);
        for (int b = 0; b < Batch; b++) patched.Slice(b).Fill(b + 0.5f);
        var clean = new[] { 2f, 3f, 4f };
        var corrupt = new[] { 0f, 3f, 1f };   // pair 1: clean = corrupted
        var r = new PatchingResult(Sweep.HeadZ, patched, clean, corrupt);
        Assert.Equal([1], PatchingResult.DegeneratePairs(clean, corrupt));

        var perExample = r.NormalizedPerExample();
        Assert.All(perExample.Slice(1).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.All(perExample.Slice(0).ToArray(), v => Assert.Equal(0.25f, v));
        // batch-mean form over pairs 0 and 2 only: ((0.5 + 2.5) − (0 + 1)) / ((2 + 4) − (0 + 1)) = 0.4
        Assert.All(r.NormalizedMean().Data, v => Assert.Equal(0.4f, v, 6));
        Assert.All(r.NormalizedPerExampleMean().Data, v => Assert.True(float.IsFinite(v)));
    }
}
