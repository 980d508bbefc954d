// Public entry point for SVG heatmap files, drawn by ScottPlot like HeatmapPng (same layout, vector
// output). The interactive inline SVG of report.html is InlineHeatmapSvg.
namespace CircuitLens.Reports;

public static class HeatmapSvg
{
    public static string Render(Heatmap map) => FigureCanvas.Svg(HeatmapFigures.Single(map));

    /// <summary>Several maps side by side (e.g. the "every" sweep), by default on one shared colour scale with one colour bar.</summary>
    public static string RenderGrid(IReadOnlyList<Heatmap> maps, string title, int columns = 5, bool sharedScale = true) =>
        FigureCanvas.Svg(HeatmapFigures.Grid(maps, title, columns, sharedScale));
}
