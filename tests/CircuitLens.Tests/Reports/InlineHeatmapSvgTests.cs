using System.Xml.Linq;
using CircuitLens.Reports;

namespace CircuitLens.Tests.Reports;

public class InlineHeatmapSvgTests
{
    static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    static List<XElement> Cells(XDocument doc) =>
        doc.Descendants(Svg + "rect").Where(r => ((string?)r.Attribute("class") ?? "").Split(' ').Contains("cell")).ToList();

    static float[,] Ramp12()
    {
        // Known corners: max at (9,9), min at (10,7), zero at (0,0); everything else small.
        var v = new float[12, 12];
        for (int l = 0; l < 12; l++) for (int h = 0; h < 12; h++) v[l, h] = (l - h) * 0.01f;
        v[0, 0] = 0f; v[9, 9] = 0.5f; v[10, 7] = -0.5f; v[3, 4] = 0.213f;
        return v;
    }

    [Fact]
    public void OneRectPerCellWithTheRampColours()
    {
        var doc = XDocument.Parse(InlineHeatmapSvg.Render(Heatmap.LayerHead("Heads", Ramp12())));
        var cells = Cells(doc);
        Assert.Equal(144, cells.Count);
        string Fill(int l, int h) => (string)cells[l * 12 + h].Attribute("fill")!;
        Assert.Equal("#053061", Fill(9, 9));
        Assert.Equal("#67001f", Fill(10, 7));
        Assert.Equal("#ffffff", Fill(0, 0));
        Assert.Equal("layer 3, head 4: 0.213", cells[3 * 12 + 4].Element(Svg + "title")!.Value);
    }

    [Fact]
    public void TitleSubtitleAxisTitlesAndColourBarArePresent()
    {
        var map = Heatmap.LayerHead("Head z patching", Ramp12()) with { Subtitle = "gpt2 · head-z · 87 pairs · BOS" };
        var doc = XDocument.Parse(InlineHeatmapSvg.Render(map));
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("Head z patching", texts);
        Assert.Contains("gpt2 · head-z · 87 pairs · BOS", texts);
        Assert.Contains("layer", texts);
        Assert.Contains("head", texts);
        Assert.Contains("normalised logit diff", texts);
        Assert.Contains("0.5", texts);    // colour-bar ticks: max, 0, min
        Assert.Contains("0", texts);
        Assert.Contains("-0.5", texts);
        for (int i = 0; i < 12; i++) Assert.Contains(i.ToString(), texts);
        Assert.Single(doc.Descendants(Svg + "rect"), r => (string?)r.Attribute("class") == "colorbar");
    }

    [Fact]
    public void TokenLabelsAreEscapedAndShowWhitespace()
    {
        string[] tokens = [" <b>", "&", "\"q\"", " José", "'"];
        var map = Heatmap.LayerPosition("pos <&> \"title\"", new float[2, 5], tokens);
        string svg = InlineHeatmapSvg.Render(map);
        Assert.Contains("&lt;b&gt;", svg);
        Assert.DoesNotContain("<b>", svg);
        var doc = XDocument.Parse(svg);   // would throw if anything were unescaped
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("·<b>", texts);
        Assert.Contains("&", texts);
        Assert.Contains("\"q\"", texts);
        Assert.Contains("·José", texts);    // non-ASCII kept as is in SVG
        Assert.Contains("pos <&> \"title\"", texts);
        Assert.Equal("layer 1, position 0 (·<b>): 0.000", Cells(doc)[5].Element(Svg + "title")!.Value);
    }

    [Fact]
    public void NaNCellsAreHatchedAndSayNaN()
    {
        var v = Ramp12();
        v[2, 5] = float.NaN;
        var doc = XDocument.Parse(InlineHeatmapSvg.Render(Heatmap.LayerHead("with NaN", v)));
        var cell = Cells(doc)[2 * 12 + 5];
        Assert.Contains("nan", (string)cell.Attribute("class")!);
        Assert.StartsWith("url(#", (string)cell.Attribute("fill")!);
        Assert.Equal("layer 2, head 5: NaN", cell.Element(Svg + "title")!.Value);
        Assert.Contains("NaN (no value)", doc.Descendants(Svg + "text").Select(t => t.Value));
        // The limit ignores NaN: the max cell is still the darkest blue.
        Assert.Equal("#053061", (string)Cells(doc)[9 * 12 + 9].Attribute("fill")!);
    }

    [Fact]
    public void MarksAreTaggedOutlinedAndExplainedInALegend()
    {
        var map = Heatmap.LayerHead("marked", Ramp12()) with { Marks = HeadClass.IoiPaperHeads };
        var doc = XDocument.Parse(InlineHeatmapSvg.Render(map));
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Equal(3 + 1, texts.Count(t => t == "NM"));   // three name movers + the legend swatch
        foreach (var name in new[] { "name mover", "backup name mover", "negative name mover", "S-inhibition", "induction", "duplicate token", "previous token" })
            Assert.Contains(name, texts);
        Assert.EndsWith("[NM name mover]", Cells(doc)[9 * 12 + 9].Element(Svg + "title")!.Value);
    }

    [Fact]
    public void AnnotatedCellsPrintTheirValues()
    {
        var map = Heatmap.LayerHead("small", new float[,] { { 0.25f, -1f }, { 0f, 0.5f } }) with { Annotate = true };
        var texts = XDocument.Parse(InlineHeatmapSvg.Render(map)).Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("0.25", texts);
        Assert.Contains("-1.00", texts);
        Assert.Contains("0.50", texts);
    }

    [Fact]
    public void GridSharesOneSymmetricScaleAndOneColourBar()
    {
        var strong = Heatmap.LayerHead("output", new float[,] { { 1f, -1f }, { 0f, 0f } });
        var weak = Heatmap.LayerHead("query", new float[,] { { 0.1f, 0f }, { 0f, 0f } });
        var doc = XDocument.Parse(InlineHeatmapSvg.RenderGrid([strong, weak, strong, weak, strong], "every"));
        var cells = Cells(doc);
        Assert.Equal(5 * 4, cells.Count);
        Assert.Single(doc.Descendants(Svg + "rect"), r => (string?)r.Attribute("class") == "colorbar");
        var weakMax = Rgb.FromHex((string)cells[4].Attribute("fill")!);   // 0.1 on a ±1 scale: pale
        Assert.True(weakMax.Luminance > 0.7, $"0.1 of 1 should be pale, got {weakMax.ToHex()}");
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("every", texts);
        Assert.Contains("query", texts);

        var separate = XDocument.Parse(InlineHeatmapSvg.RenderGrid([strong, weak], "own scales", sharedScale: false));
        Assert.Equal(2, separate.Descendants(Svg + "rect").Count(r => (string?)r.Attribute("class") == "colorbar"));
        Assert.Equal("#053061", (string)Cells(separate)[4].Attribute("fill")!);   // 0.1 is the max of its own scale
    }

    [Fact]
    public void AttentionUsesTheSequentialScale()
    {
        var doc = XDocument.Parse(InlineHeatmapSvg.Render(Heatmap.Attention("attn", new float[,] { { 1f, 0f }, { 0.5f, 0.5f } }, ["A", " B"])));
        var cells = Cells(doc);
        Assert.Equal("#4d004b", (string)cells[0].Attribute("fill")!);
        Assert.Equal("#ffffff", (string)cells[1].Attribute("fill")!);
        Assert.Equal("query 1 (·B), key 0 (A): 0.500", cells[2].Element(Svg + "title")!.Value);
    }

    [Fact]
    public void MismatchedLabelsAreAClearError()
    {
        var bad = new Heatmap("bad", new float[12, 12], Heatmap.IndexLabels(11), Heatmap.IndexLabels(12));
        var e = Assert.Throws<CircuitLensException>(() => InlineHeatmapSvg.Render(bad));
        Assert.Contains("11 row labels", e.Message);
        var badMark = Heatmap.LayerHead("m", new float[2, 2]) with { Marks = new Dictionary<(int, int), string> { [(5, 0)] = "NM" } };
        Assert.Throws<CircuitLensException>(() => InlineHeatmapSvg.Render(badMark));
    }
}
