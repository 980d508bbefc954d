using CircuitLens.Reports;

namespace CircuitLens.Tests.Reports;

public class ColorMappingTests
{
    [Fact]
    public void DivergingIsBluePositiveWhiteZeroRedNegative()
    {
        var m = new ColorMapping(ColorScale.Diverging, 2f);
        Assert.Equal("#053061", m.ColorOf(2f).ToHex());
        Assert.Equal("#ffffff", m.ColorOf(0f).ToHex());
        Assert.Equal("#67001f", m.ColorOf(-2f).ToHex());
        Assert.Equal("#053061", m.ColorOf(5f).ToHex());     // saturates beyond the limit
        var half = m.ColorOf(1f);
        Assert.True(half.B > half.R, "positive values are blue");
        var neg = m.ColorOf(-1f);
        Assert.True(neg.R > neg.B, "negative values are red");
    }

    [Fact]
    public void SequentialRunsFromWhiteToDarkPurple()
    {
        var m = new ColorMapping(ColorScale.Sequential, 1f);
        Assert.Equal("#ffffff", m.ColorOf(0f).ToHex());
        Assert.Equal("#4d004b", m.ColorOf(1f).ToHex());
        Assert.True(m.ColorOf(0.3f).Luminance > m.ColorOf(0.7f).Luminance);
        Assert.Equal([0f, 0.5f, 1f], m.Ticks);
    }

    [Fact]
    public void LimitComesFromDataIgnoringNaNAndInfinity()
    {
        var v = new float[,] { { 0.5f, float.NaN }, { -0.8f, float.PositiveInfinity } };
        Assert.Equal(0.8f, ColorMapping.For(ColorScale.Diverging, null, [v]).Limit);
        Assert.Equal(0.5f, ColorMapping.For(ColorScale.Sequential, null, [v]).Limit);
        Assert.Equal(3f, ColorMapping.For(ColorScale.Diverging, 3f, [v]).Limit);
        Assert.Equal(1f, ColorMapping.For(ColorScale.Diverging, null, [new float[,] { { float.NaN } }]).Limit);
        Assert.Equal([-0.8f, 0f, 0.8f], ColorMapping.For(ColorScale.Diverging, null, [v]).Ticks);
    }

    [Fact]
    public void ARequestedLimitIsAFloorThatWidensOnlyForLargerValues()
    {
        // The head-q failure: values below 1e-7 on their own scale read as full-strength signal.
        var tiny = new float[,] { { 1e-7f, -5e-8f } };
        var fixedScale = ColorMapping.For(ColorScale.Diverging, 1f, [tiny]);
        Assert.Equal(1f, fixedScale.Limit);
        Assert.Equal("#ffffff", fixedScale.ColorOf(1e-7f).ToHex());
        Assert.Equal(1.7f, ColorMapping.For(ColorScale.Diverging, 1f, [new float[,] { { -1.7f, 0.2f } }]).Limit);

        var maps = new[] { Heatmap.LayerHead("a", tiny) with { Limit = 1f }, Heatmap.LayerHead("b", new float[,] { { 1.25f, 0f } }) with { Limit = 1f } };
        Assert.Equal(1.25f, ColorMapping.Shared(maps).Limit);
    }
}
