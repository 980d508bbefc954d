// The interactive SVG of one heatmap, or several side by side, for report.html (HeatmapFigure lays it
// out): every cell its own element with hover text, head cells marked for the pattern viewer.
namespace CircuitLens.Reports;

internal static class InlineHeatmapSvg
{
    /// <param name="idPrefix">Prefix for element ids, unique per figure when several share one HTML page.</param>
    /// <param name="standalone">True for a well-formed SVG document (XML declaration and namespace); false for inline HTML.</param>
    public static string Render(Heatmap map, string idPrefix = "hm-", bool standalone = true)
    {
        var s = new SvgSurface(idPrefix, standalone);
        HeatmapFigure.Draw(s, map);
        return s.Finish();
    }

    public static string RenderGrid(IReadOnlyList<Heatmap> maps, string title, int columns = 5, bool sharedScale = true, string idPrefix = "hm-", bool standalone = true)
    {
        var s = new SvgSurface(idPrefix, standalone);
        HeatmapFigure.DrawGrid(s, maps, title, columns, sharedScale);
        return s.Finish();
    }
}
