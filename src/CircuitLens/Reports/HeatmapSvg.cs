// Public entry point for SVG heatmaps: a standalone .svg document for one map or a grid of maps.
// Hover values come from each cell's <title>. See HeatmapFigure for the layout.
namespace CircuitLens.Reports;

public static class HeatmapSvg
{
    public static string Render(Heatmap map) => Render(map, "hm-", standalone: true);

    /// <summary>Several maps side by side (e.g. the "every" sweep), by default on one shared symmetric colour scale with one colour bar.</summary>
    public static string RenderGrid(IReadOnlyList<Heatmap> maps, string title, int columns = 5, bool sharedScale = true) =>
        RenderGrid(maps, title, columns, sharedScale, "hm-", standalone: true);

    internal static string Render(Heatmap map, string idPrefix, bool standalone)
    {
        var s = new SvgSurface(idPrefix, standalone);
        HeatmapFigure.Draw(s, map);
        return s.Finish();
    }

    internal static string RenderGrid(IReadOnlyList<Heatmap> maps, string title, int columns, bool sharedScale, string idPrefix, bool standalone)
    {
        var s = new SvgSurface(idPrefix, standalone);
        HeatmapFigure.DrawGrid(s, maps, title, columns, sharedScale);
        return s.Finish();
    }
}
