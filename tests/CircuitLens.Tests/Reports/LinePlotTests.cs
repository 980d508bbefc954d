using CircuitLens.Reports;
using SkiaSharp;

namespace CircuitLens.Tests.Reports;

public class LinePlotTests
{
    static LinePlot Years() => new("Greater-than: probability by year", "start year YY", "probability",
        [new LineSeries("P(> YY)", [0.9, 0.6, 0.2]), new LineSeries("P(≤ YY)", [0.1, 0.4, 0.8])])
    {
        XTickLabels = ["1702", "1750", "1798"], Subtitle = "gpt2 · 3 prompts", HorizontalLines = [0.5],
    };

    [Fact]
    public void SvgCarriesTitleAxisTitlesCategoricalTicksAndALegend()
    {
        string svg = LinePlotSvg.Render(Years());
        System.Xml.Linq.XDocument.Parse(svg);
        var texts = HeatmapPngTests.SvgTexts(svg);
        foreach (var t in new[] { "Greater-than: probability by year", "gpt2 · 3 prompts", "start year YY", "probability", "1702", "1750", "1798", "P(> YY)", "P(≤ YY)" })
            Assert.Contains(t, texts);
    }

    [Fact]
    public void PngDrawsEachSeriesInItsOwnColour()
    {
        var spec = LinePlotFigure.Spec(Years());
        var png = SKBitmap.Decode(FigureCanvas.Png(spec, 1));
        var data = spec.Panels[0].Plot.LastRender.DataRect;
        var colours = new HashSet<SKColor>();
        for (int y = (int)data.Top; y < (int)data.Bottom; y++)
            for (int x = (int)data.Left; x < (int)data.Right; x++) colours.Add(png.GetPixel(x, y));
        Assert.Contains(new SKColor(0x1f, 0x77, 0xb4), colours);   // Category10 blue and orange
        Assert.Contains(new SKColor(0xff, 0x7f, 0x0e), colours);
    }

    [Fact]
    public void ManyCategoricalLabelsAreThinnedNotOverprinted()
    {
        var labels = Enumerable.Range(0, 300).Select(i => $"token{i}").ToArray();
        var lp = new LinePlot("loss by position", "position", "loss", [new LineSeries("loss", labels.Select((_, i) => 5.0 - i * 0.01).ToArray())]) { XTickLabels = labels, Markers = false };
        var texts = HeatmapPngTests.SvgTexts(LinePlotSvg.Render(lp));
        int shown = labels.Count(texts.Contains);
        Assert.InRange(shown, 10, 60);                        // upright 12-px labels on 640 px: one every few positions
        Assert.Contains("token0", texts);
    }

    [Fact]
    public void BadInputIsAClearError()
    {
        Assert.Throws<CircuitLensException>(() => LinePlotPng.Render(new LinePlot("none", "x", "y", [])));
        var e = Assert.Throws<CircuitLensException>(() => LinePlotSvg.Render(new LinePlot("xy", "x", "y", [new LineSeries("s", [1, 2]) { X = [0] }])));
        Assert.Contains("1 x values but 2 y values", e.Message);
        Assert.Throws<CircuitLensException>(() => LinePlotSvg.Render(Years() with { YMin = 1, YMax = 0 }));
    }
}
