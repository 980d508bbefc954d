using System.Text.RegularExpressions;
using CircuitLens.Reports;
using SkiaSharp;

namespace CircuitLens.Tests.Reports;

// The PNG and SVG heatmap files (ScottPlot). Cell colours are read back at cell centres, located from
// the data area ScottPlot reports for the last render; sizes and labels are read from the outputs.
public class HeatmapPngTests
{
    static (SKBitmap Png, ScottPlot.PixelRect Data) RenderSingle(Heatmap map, int scale = 1)
    {
        var spec = HeatmapFigures.Single(map);
        var png = SKBitmap.Decode(FigureCanvas.Png(spec, scale));
        return (png, spec.Panels[0].Plot.LastRender.DataRect);
    }

    static Rgb At(SKBitmap png, ScottPlot.PixelRect data, int rows, int cols, int r, int c, int scale = 1)
    {
        float x = (data.Left + (c + 0.5f) * data.Width / cols) * scale, y = (data.Top + (r + 0.5f) * data.Height / rows) * scale;
        var p = png.GetPixel((int)x, (int)y);
        return new Rgb(p.Red, p.Green, p.Blue);
    }

    [Fact]
    public void CellsHaveTheRampColoursAtTheirCentresLayerZeroOnTop()
    {
        var values = new float[,] { { 1f, 0f, -1f }, { 0.5f, float.NaN, -0.25f } };
        var map = Heatmap.LayerHead("three", values);
        var (png, data) = RenderSingle(map);
        var colors = ColorMapping.For(ColorScale.Diverging, null, [values]);
        Assert.Equal("#053061", At(png, data, 2, 3, 0, 0).ToHex());   // +1: darkest blue, top left
        Assert.Equal("#ffffff", At(png, data, 2, 3, 0, 1).ToHex());
        Assert.Equal("#67001f", At(png, data, 2, 3, 0, 2).ToHex());   // -1: darkest red
        Assert.Equal(colors.ColorOf(0.5f), At(png, data, 2, 3, 1, 0));
        Assert.Equal(colors.ColorOf(-0.25f), At(png, data, 2, 3, 1, 2));
        Assert.Equal("#d9d9d9", At(png, data, 2, 3, 1, 1).ToHex());   // NaN: grey, explained in a note
        Assert.Contains("Grey cells: NaN", HeatmapSvg.Render(map));
    }

    [Fact]
    public void MapsKeepSquareCellsAndTheFigureHasNoBlankMargins()
    {
        var map = Heatmap.LayerHead("Activation patching: head-z", new float[12, 12]) with { Subtitle = "gpt2 · head-z · 100 pairs" };
        var (png, data) = RenderSingle(map);
        Assert.Equal(360, data.Width, 1f);
        Assert.Equal(360, data.Height, 1f);
        Assert.InRange(data.Left, 20, 70);                    // row labels and the "layer" title
        Assert.InRange(png.Width - data.Right, 60, 140);      // the colour bar, its ticks and label, nothing more
        Assert.InRange(data.Top, 40, 80);                     // title and subtitle
        Assert.InRange(png.Height - data.Bottom, 30, 70);     // column labels and the "head" title
    }

    [Fact]
    public void Gpt2XlMapHasReadableCellsAndEveryLayerLabelled()
    {
        var map = Heatmap.LayerHead("gpt2-xl head-z", new float[48, 25]);
        var (_, data) = RenderSingle(map);
        Assert.InRange(data.Height / 48, 14f, 30f);           // at least the 12-px tick font's height
        Assert.Equal(data.Width / 25, data.Height / 48, 0.5f);
        var texts = SvgTexts(HeatmapSvg.Render(map));
        for (int l = 0; l < 48; l++) Assert.Contains(l.ToString(), texts);
        for (int h = 0; h < 25; h++) Assert.Contains(h.ToString(), texts);
    }

    [Fact]
    public void NeuronMapsStayWithinAScreenAndLabelRoundNeuronNumbers()
    {
        var values = new float[12, 3072];
        values[11, 3071] = 1f;
        var map = Heatmap.LayerNeuron("mlp neurons", values);
        var (png, data) = RenderSingle(map);
        Assert.InRange(data.Width, 1500f, 1600f);
        Assert.Equal("#053061", At(png, data, 12, 3072, 11, 3071).ToHex());   // the last neuron of the last layer is still a cell
        var texts = SvgTexts(HeatmapSvg.Render(map));
        var ticks = texts.Where(t => int.TryParse(t, out int n) && n >= 100).Select(int.Parse).ToList();
        Assert.NotEmpty(ticks);
        Assert.All(ticks, n => Assert.Equal(0, n % 100));
        Assert.Equal([1, 2, 5, 10, 20, 50, 100], new[] { 1, 2, 3, 7, 11, 50, 51 }.Select(HeatmapPlot.NiceStride));
    }

    [Fact]
    public void HeadsByPositionLabelsEveryPositionAndEachLayersFirstHead()
    {
        var rows = Enumerable.Range(0, 144).Select(i => $"{i / 12}.{i % 12}").ToArray();
        string[] tokens = ["<|endoftext|>", "When", " John", " and", " Mary", " went", " to", " the", " shops", ",", " John", " gave", " the", " bag", " to"];
        var map = new Heatmap("head-z-by-pos", new float[144, 15], rows, tokens) { RowAxisTitle = "layer.head", ColumnAxisTitle = "position", RowLabelStep = 12 };
        var texts = SvgTexts(HeatmapSvg.Render(map));
        Assert.Equal(15, tokens.Select(t => LabelText.Token(t)).Distinct().Count(texts.Contains) + 3);   // " John", " the", " to" repeat
        var rowTicks = texts.Where(t => Regex.IsMatch(t, @"^\d+\.\d+$") && t != "0.5").ToList();   // 0.5: a colour-bar tick
        Assert.Equal(Enumerable.Range(0, 12).Select(l => $"{l}.0"), rowTicks);
    }

    [Fact]
    public void ScaleMultipliesThePictureSize()
    {
        var map = Heatmap.LayerHead("scaled", new float[,] { { 0.3f, -0.2f }, { 0.1f, float.NaN } });
        var one = SKBitmap.Decode(HeatmapPng.Render(map, 1));
        var two = SKBitmap.Decode(HeatmapPng.Render(map, 2));
        Assert.InRange(two.Width, 2 * one.Width - 2, 2 * one.Width + 2);
        Assert.InRange(two.Height, 2 * one.Height - 2, 2 * one.Height + 2);
        Assert.Throws<CircuitLensException>(() => HeatmapPng.Render(map, 0));
    }

    [Fact]
    public void GridSharesOneFixedScaleSoTinyValuesStayPale()
    {
        var strong = Heatmap.LayerHead("output", new float[,] { { 0.8f, -0.5f } }) with { Limit = 1f };
        var tiny = Heatmap.LayerHead("query", new float[,] { { 1e-7f, -1e-7f } }) with { Limit = 1f };
        var spec = HeatmapFigures.Grid([strong, tiny], "every", 5, sharedScale: true);
        var png = SKBitmap.Decode(FigureCanvas.Png(spec, 1));
        var scale = new ColorMapping(ColorScale.Diverging, 1f);
        Assert.Equal(scale.ColorOf(0.8f), At(png, spec.Panels[0].Plot.LastRender.DataRect, 1, 2, 0, 0));
        Assert.Equal("#ffffff", At(png, spec.Panels[1].Plot.LastRender.DataRect, 1, 2, 0, 0).ToHex());
        Assert.Equal("#ffffff", At(png, spec.Panels[1].Plot.LastRender.DataRect, 1, 2, 0, 1).ToHex());
        // One colour bar, on the last panel.
        Assert.True(spec.Panels[1].Plot.LastRender.DataRect.Right < spec.Panels[1].Plot.LastRender.FigureRect.Right - 40);
        Assert.True(spec.Panels[0].Plot.LastRender.DataRect.Right > spec.Panels[0].Plot.LastRender.FigureRect.Right - 20);
    }

    [Fact]
    public void SvgCarriesTitleAxisTitlesTokenLabelsColourBarLabelAndMarkLegend()
    {
        string[] tokens = ["<|endoftext|>", "When", " John", " <&>"];
        var pos = Heatmap.LayerPosition("Activation patching: resid-pre", new float[2, 4], tokens) with { Subtitle = "gpt2 · resid-pre" };
        string svg = HeatmapSvg.Render(pos);
        System.Xml.Linq.XDocument.Parse(svg);
        var texts = SvgTexts(svg);
        foreach (var t in new[] { "Activation patching: resid-pre", "gpt2 · resid-pre", "layer", "position", "normalised logit diff", "When", "·John", "·<&>" })
            Assert.Contains(t, texts);

        var heads = Heatmap.LayerHead("marked", new float[12, 12]) with { Marks = HeadClass.IoiPaperHeads };
        var headTexts = SvgTexts(HeatmapSvg.Render(heads));
        Assert.Equal(3, headTexts.Count(t => t == "NM"));
        Assert.Contains(headTexts, t => t.Contains("NM name mover") && t.Contains("BNM backup name mover"));
    }

    [Fact]
    public void AnnotatedSmallMapsPrintTheirValues()
    {
        var map = Heatmap.LayerHead("small", new float[,] { { 0.25f, -1f }, { 0f, 0.5f } }) with { Annotate = true };
        var texts = SvgTexts(HeatmapSvg.Render(map));
        Assert.Contains("0.25", texts);
        Assert.Contains("-1.00", texts);
        Assert.Contains("0.50", texts);
    }

    [Fact]
    public void AttentionUsesTheSequentialScaleFromZeroToOne()
    {
        var (png, data) = RenderSingle(Heatmap.Attention("attn", new float[,] { { 1f, 0f }, { 0.5f, 0.5f } }, ["A", " B"]));
        Assert.Equal("#4d004b", At(png, data, 2, 2, 0, 0).ToHex());
        Assert.Equal("#ffffff", At(png, data, 2, 2, 0, 1).ToHex());
    }

    [Fact]
    public void FigureFilesWritesPngAndSvgSideBySide()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cl-fig-" + Guid.NewGuid().ToString("N"));
        try
        {
            var paths = FigureFiles.Write(Path.Combine(dir, "head-z"), Heatmap.LayerHead("z", new float[2, 2]));
            Assert.Equal([Path.Combine(dir, "head-z.png"), Path.Combine(dir, "head-z.svg")], paths);
            Assert.NotNull(SKBitmap.Decode(File.ReadAllBytes(paths[0])));
            Assert.StartsWith("<?xml", File.ReadAllText(paths[1]));
            Assert.Equal(2, Directory.GetFiles(dir).Length);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void MismatchedLabelsAreAClearError()
    {
        var bad = new Heatmap("bad", new float[12, 12], Heatmap.IndexLabels(11), Heatmap.IndexLabels(12));
        Assert.Contains("11 row labels", Assert.Throws<CircuitLensException>(() => HeatmapPng.Render(bad)).Message);
        Assert.Throws<CircuitLensException>(() => HeatmapSvg.RenderGrid([], "empty"));
    }

    /// <summary>The text of every &lt;text&gt; element, whitespace trimmed (SkiaSharp's SVG writer indents it).</summary>
    internal static List<string> SvgTexts(string svg) =>
        Regex.Matches(svg, @"<text\b[^>]*>(.*?)</text>", RegexOptions.Singleline)
            .Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value.Trim())).ToList();
}
