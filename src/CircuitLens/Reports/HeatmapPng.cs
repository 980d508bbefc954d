// Public entry point for PNG heatmaps, drawn by ScottPlot (HeatmapPlot builds the panels,
// FigureCanvas lays them out). scale multiplies every length: 2 (the default) suits high-density
// screens and slides.
namespace CircuitLens.Reports;

public static class HeatmapPng
{
    public static byte[] Render(Heatmap map, int scale = 2) => FigureCanvas.Png(HeatmapFigures.Single(map), scale);

    /// <summary>Several maps side by side (e.g. the "every" sweep), by default on one shared colour scale with one colour bar.</summary>
    public static byte[] RenderGrid(IReadOnlyList<Heatmap> maps, string title, int columns = 5, bool sharedScale = true, int scale = 2) =>
        FigureCanvas.Png(HeatmapFigures.Grid(maps, title, columns, sharedScale), scale);
}
