// Writes a figure as `<stem>.png` and `<stem>.svg` side by side, each atomically (ReportFiles), and
// returns the paths written: the one call a task needs to save a heatmap or a line plot.
namespace CircuitLens.Reports;

public static class FigureFiles
{
    public static IReadOnlyList<string> Write(string stem, Heatmap map) =>
        Write(stem, HeatmapPng.Render(map), HeatmapSvg.Render(map));

    public static IReadOnlyList<string> Write(string stem, IReadOnlyList<Heatmap> maps, string title, int columns = 5) =>
        Write(stem, HeatmapPng.RenderGrid(maps, title, columns), HeatmapSvg.RenderGrid(maps, title, columns));

    public static IReadOnlyList<string> Write(string stem, LinePlot plot) =>
        Write(stem, LinePlotPng.Render(plot), LinePlotSvg.Render(plot));

    static string[] Write(string stem, byte[] png, string svg)
    {
        ArgumentException.ThrowIfNullOrEmpty(stem);
        string pngPath = stem + ".png", svgPath = stem + ".svg";
        ReportFiles.WriteAtomic(pngPath, png);
        ReportFiles.WriteAtomic(svgPath, svg);
        return [pngPath, svgPath];
    }
}
