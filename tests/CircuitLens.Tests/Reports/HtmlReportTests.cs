using System.Text.RegularExpressions;
using System.Xml.Linq;
using CircuitLens.Reports;

namespace CircuitLens.Tests.Reports;

public class HtmlReportTests
{
    static HtmlReport Sample()
    {
        var heads = Heatmap.LayerHead("Heads", new float[,] { { 0.5f, -0.25f }, { float.NaN, 0f } }) with { Marks = new Dictionary<(int, int), string> { [(0, 0)] = "NM" } };
        var pos = Heatmap.LayerPosition("Positions", new float[,] { { 1f, 0f, -1f } }, ["When", " John", " <&>"]);
        return new HtmlReport("IOI <report> & more")
            .AddKeyValues("Run", [("model", "gpt2"), ("BOS", "yes")])
            .AddSection("Heads")
            .AddParagraph("Blue restores <clean>.")
            .AddHeatmap(heads, "caption & notes")
            .AddTable("Top heads", ["head", "score"], [["9.9", "0.910"], ["a<b", "x"]])
            .AddHeatmap(pos)
            .AddHeatmapGrid([heads, heads], "every");
    }

    [Fact]
    public void IsSelfContained()
    {
        string html = Sample().Render();
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotMatch(new Regex(@"<(link|img|iframe)\b|\bsrc\s*=", RegexOptions.IgnoreCase), html);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<style>", html);
        Assert.Contains("<script>", html);
    }

    [Fact]
    public void InlinesEachFigureAsWellFormedSvgWithUniqueIds()
    {
        string html = Sample().Render();
        var svgs = Regex.Matches(html, @"<svg\b.*?</svg>", RegexOptions.Singleline).Select(m => m.Value).ToList();
        Assert.Equal(3, svgs.Count);
        foreach (var svg in svgs) XDocument.Parse(svg);   // inline SVG must still be well-formed XML
        Assert.Equal(4 + 3 + 8, Regex.Matches(html, "<rect class=\"cell").Count);
        var ids = Regex.Matches(html, "id=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(Regex.Matches(html, "<figure>").Count, Regex.Matches(html, "</figure>").Count);
    }

    [Fact]
    public void EscapesText()
    {
        string html = Sample().Render();
        Assert.Contains("<title>IOI &lt;report&gt; &amp; more</title>", html);
        Assert.Contains("Blue restores &lt;clean&gt;.", html);
        Assert.Contains("<figcaption>caption &amp; notes</figcaption>", html);
        Assert.Contains("<td>a&lt;b</td>", html);
        Assert.Contains("<td class=\"num\">0.910</td>", html);
        Assert.Contains("·&lt;&amp;&gt;", html);
        Assert.DoesNotContain("<clean>", html);
    }

    [Fact]
    public void SaveWritesTheFileAtomically()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cl-html-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "sub", "report.html");
            var report = Sample();
            report.Save(path);
            Assert.Equal(report.Render(), File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(Path.Combine(dir, "sub")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
