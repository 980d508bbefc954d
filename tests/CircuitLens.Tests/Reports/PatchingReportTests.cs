using System.Text.RegularExpressions;
using CircuitLens.Patching;
using CircuitLens.Reports;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Reports;

// What a reader of report.html and the patching pictures is told: titles by method, one fixed colour
// range, the strongest-heads table's wording and columns, the model's name, the attention viewer's data.
public class PatchingReportTests
{
    // A head-z result whose batch-mean normalised map is exactly `map` (clean 1, corrupted 0 for one example).
    static PatchingResult HeadZ(float[,] map)
    {
        int L = map.GetLength(0), H = map.GetLength(1);
        var patched = Tensor.Zeros(1, L, H);
        for (int l = 0; l < L; l++) for (int h = 0; h < H; h++) patched.Data[l * H + h] = map[l, h];
        return new PatchingResult(Sweep.HeadZ, patched, [1f], [0f]);
    }

    static PatchingFigureContext Context(string method = "exact", bool ioi = false) =>
        new("openai-community/gpt2", PrependBos: true, PairCount: 1, method, PositionLabels: null, MarkIoiHeads: ioi);

    static float[,] Small()
    {
        var v = new float[3, 4];
        v[0, 1] = 0.5f; v[2, 3] = -0.2f; v[1, 1] = -0.0004f; v[1, 2] = 0.003f;
        return v;
    }

    [Fact]
    public void MapsUseTheFixedRangeAndAreTitledByMethod()
    {
        var exact = PatchingFigures.For(HeadZ(Small()), Context());
        Assert.StartsWith("Activation patching: head-z", exact.Title);
        Assert.Equal(1f, exact.Limit);
        Assert.Equal(1f, ColorMapping.For(exact.Scale, exact.Limit, [exact.Values]).Limit);   // 0.5 max stays half strength
        Assert.Contains("openai-community/gpt2", exact.Subtitle);

        var attribution = PatchingFigures.For(HeadZ(Small()), Context("attribution"));
        Assert.StartsWith("Attribution patching (gradient estimate): head-z", attribution.Title);
        Assert.StartsWith("Attribution estimate, every head component", PatchingFigures.HeadsEveryTitle(Context("attribution")));
    }

    [Fact]
    public void StrongestHeadsSayNoEffectNearZeroAndOmitTheIoiColumnOffIoi()
    {
        string html = PatchingReport.Render(new PatchingReportInput
        {
            Title = "t", Context = Context(), RunInfo = [("model", "openai-community/gpt2")], Results = [HeadZ(Small())],
        });
        var rows = Regex.Matches(html, "<tr><td class=\"num\">(\\d+)</td><td class=\"num\">([\\d.]+)</td><td class=\"num\">([^<]+)</td><td>([^<]+)</td></tr>")
            .Select(m => (Head: m.Groups[2].Value, Score: m.Groups[3].Value, Direction: m.Groups[4].Value)).ToList();
        Assert.Equal(("0.1", "+0.500", "restores (positive)"), rows[0]);
        Assert.Equal(("2.3", "-0.200", "hurts (negative)"), rows[1]);
        Assert.Equal(("1.2", "+0.003", "no effect"), rows[2]);
        Assert.Equal(("1.1", "0.000", "no effect"), rows[3]);
        Assert.DoesNotContain("IOI paper class", html);
        Assert.DoesNotContain("-+", html);
    }

    [Fact]
    public void IoiClassesAppearForGpt2SmallShapedIoiRuns()
    {
        var v = new float[12, 12];
        v[9, 9] = 0.6f; v[10, 7] = -0.3f;
        var top = PatchingReport.TopHeads(HeadZ(v), 2, ioiClasses: true);
        Assert.Equal(["name mover", "negative name mover"], top.Select(h => h.Class));
        Assert.All(PatchingReport.TopHeads(HeadZ(v), 2, ioiClasses: false), h => Assert.Equal("", h.Class));
        string html = PatchingReport.Render(new PatchingReportInput { Title = "t", Context = Context(ioi: true), RunInfo = [], Results = [HeadZ(v)] });
        Assert.Contains("<th>IOI paper class</th>", html);
    }

    [Fact]
    public void TheViewerCarriesEveryHeadsPatternAndTheStrongestHeadsAsButtons()
    {
        var patterns = Tensor.Zeros(3, 4, 2, 2);
        for (int i = 0; i < 12; i++) { patterns.Data[i * 4] = 1f; patterns.Data[i * 4 + 2] = 0.25f; patterns.Data[i * 4 + 3] = 0.75f; }
        string html = PatchingReport.Render(new PatchingReportInput
        {
            Title = "t", Context = Context(), RunInfo = [], Results = [HeadZ(Small())],
            Attention = [new AttentionExample("When </script> Mary", ["When", " </script>"], patterns)],
        });
        Assert.Contains("<button type=\"button\" class=\"head\" data-l=\"0\" data-h=\"1\">0.1 (+0.500)</button>", html);
        Assert.DoesNotContain("data-l=\"1\" data-h=\"1\">", html);   // "no effect" heads get no button
        var json = Regex.Match(html, "id=\"attention-data\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        Assert.DoesNotContain("</script>", json);                     // the prompt cannot end the data early
        var data = System.Text.Json.JsonDocument.Parse(json).RootElement;
        Assert.Equal(3, data.GetProperty("layers").GetInt32());
        Assert.Equal(4, data.GetProperty("heads").GetInt32());
        var ex = data.GetProperty("examples")[0];
        Assert.Equal("When </script> Mary", ex.GetProperty("prompt").GetString());
        Assert.Equal(["When", "·</script>"], ex.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        Assert.True(ex.GetProperty("causal").GetBoolean());
        Assert.Equal([1, 0.25, 0.75], ex.GetProperty("p").EnumerateArray().Take(3).Select(p => p.GetDouble()));   // lower triangle only
        Assert.Equal(12 * 3, ex.GetProperty("p").GetArrayLength());

        patterns.Data[1] = 0.5f;   // something above the diagonal: the full matrices are kept
        string full = PatchingReport.Render(new PatchingReportInput
        {
            Title = "t", Context = Context(), RunInfo = [], Results = [HeadZ(Small())], Attention = [new AttentionExample("p", ["a", "b"], patterns)],
        });
        var fullEx = System.Text.Json.JsonDocument.Parse(Regex.Match(full, "id=\"attention-data\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value).RootElement.GetProperty("examples")[0];
        Assert.False(fullEx.GetProperty("causal").GetBoolean());
        Assert.Equal([1, 0.5, 0.25, 0.75], fullEx.GetProperty("p").EnumerateArray().Take(4).Select(p => p.GetDouble()));
        Assert.Equal(48, fullEx.GetProperty("p").GetArrayLength());
        Assert.Equal(12, Regex.Matches(html, "<rect class=\"cell\" data-l=").Count);   // head cells of the one head-z map
    }

    [Fact]
    public void ViewerRejectsPatternsThatDoNotMatchTheTokens()
    {
        var e = Assert.Throws<CircuitLensException>(() => new HtmlReport("t").AddAttentionViewer([new AttentionExample("p", ["a", "b", "c"], Tensor.Zeros(1, 1, 2, 2))]));
        Assert.Contains("[layer, head, 3, 3]", e.Message);
        Assert.Throws<CircuitLensException>(() => new HtmlReport("t").AddAttentionViewer([]));
    }

    [Fact]
    public void LinePlotsAreInlinedAsSvg()
    {
        string html = new HtmlReport("t").AddLinePlot(new LinePlot("loss by position", "position", "loss", [new LineSeries("loss", [3, 2, 1])])).Render();
        Assert.Contains("<figure>\n<svg", html);
        Assert.DoesNotContain("<?xml", html);
        Assert.Contains("loss by position", html);
    }
}
