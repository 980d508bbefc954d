// The text of the PNG/SVG figures: titles stay bold once plots have been built (ScottPlot's
// plot.Font.Set made every later bold label regular, process-wide), colour-bar ticks sit at round
// values written in one notation, and a line plot's legend stands outside the data it would hide.
using CircuitLens.Reports;
using SkiaSharp;

namespace CircuitLens.Tests.Reports;

public class FigureTextTests
{
    [Fact]
    public void TitlesStayBoldAfterFiguresAreBuilt()
    {
        HeatmapFigures.Single(Heatmap.LayerHead("map", new float[2, 2]));
        LinePlotFigure.Spec(new LinePlot("line", "x", "y", [new LineSeries("a", [1, 2]), new LineSeries("b", [2, 1])]));
        Assert.Null(ScottPlot.Fonts.DefaultFontStyle);   // no process-wide face that overrides the weight asked for
        const string title = "Activation patching: head-z";
        float bold = FigureCanvas.TextWidth(title, 16, bold: true), regular = FigureCanvas.TextWidth(title, 16, bold: false);
        Assert.True(bold > regular * 1.05f, $"bold {bold} px vs regular {regular} px: the title is not drawn bold");
    }

    [Theory]
    [InlineData(1f, new[] { -1f, -0.5f, 0f, 0.5f, 1f })]
    [InlineData(1.24f, new[] { -1f, -0.5f, 0f, 0.5f, 1f })]
    [InlineData(23.2f, new[] { -20f, -10f, 0f, 10f, 20f })]
    [InlineData(3f, new[] { -3f, -2f, -1f, 0f, 1f, 2f, 3f })]
    public void DivergingColourBarTicksAreRound(float limit, float[] expected) =>
        Assert.Equal(expected, HeatmapPlot.ColorBarTicks(new ColorMapping(ColorScale.Diverging, limit)));

    [Fact]
    public void SmallProbabilitiesGetRoundTicksInOneNotation()
    {
        var ticks = HeatmapPlot.ColorBarTicks(new ColorMapping(ColorScale.Sequential, 2.5e-4f));
        Assert.Equal(new[] { 0f, 5e-5f, 1e-4f, 1.5e-4f, 2e-4f, 2.5e-4f }, ticks, (a, b) => Math.Abs(a - b) < 1e-9f);
        Assert.Equal(["0", "5e-5", "1e-4", "1.5e-4", "2e-4", "2.5e-4"], LabelText.Ticks(ticks));
        Assert.Equal(["0", "0.25", "0.5", "0.75", "1"], LabelText.Ticks(HeatmapPlot.ColorBarTicks(new ColorMapping(ColorScale.Sequential, 1f))));
    }

    [Fact]
    public void ALinePlotLegendStandsRightOfTheData()
    {
        var spec = LinePlotFigure.Spec(new LinePlot("loss", "position", "loss", [new LineSeries("first copy", [11, 11, 11]), new LineSeries("second copy", [11, 11, 11])]));
        var png = SKBitmap.Decode(FigureCanvas.Png(spec, 1));
        var data = spec.Panels[0].Plot.LastRender.DataRect;
        Assert.True(png.Width - data.Right > FigureCanvas.TextWidth("second copy", 12, false), "no room right of the data for the legend");
        // the legend's entries are drawn there, not over the lines
        bool inkRightOfData = false;
        for (int y = (int)data.Top; y < (int)data.Bottom && !inkRightOfData; y++)
            for (int x = (int)data.Right + 10; x < png.Width; x++)
                if (png.GetPixel(x, y) is { Red: 0x1f, Green: 0x77, Blue: 0xb4 }) { inkRightOfData = true; break; }
        Assert.True(inkRightOfData, "the legend's blue line sample is not right of the data area");
    }
}
