// Public entry point for PNG heatmaps, rasterised by hand (Canvas + BitmapFont + PngEncoder)
// because no imaging library is available. scale multiplies every length: 1 gives 28-pixel cells
// and 5×7-pixel letters, 2 suits high-density screens and slides.
namespace CircuitLens.Reports;

public static class HeatmapPng
{
    public static byte[] Render(Heatmap map, int scale = 2) => RenderCanvas(map, scale).ToPng();

    public static byte[] RenderGrid(IReadOnlyList<Heatmap> maps, string title, int columns = 5, bool sharedScale = true, int scale = 2) =>
        RenderGridCanvas(maps, title, columns, sharedScale, scale).ToPng();

    /// <summary>The raster before encoding (for tests and further drawing).</summary>
    public static Canvas RenderCanvas(Heatmap map, int scale = 2)
    {
        var s = new CanvasSurface(CheckScale(scale));
        HeatmapFigure.Draw(s, map);
        return s.Canvas;
    }

    public static Canvas RenderGridCanvas(IReadOnlyList<Heatmap> maps, string title, int columns = 5, bool sharedScale = true, int scale = 2)
    {
        var s = new CanvasSurface(CheckScale(scale));
        HeatmapFigure.DrawGrid(s, maps, title, columns, sharedScale);
        return s.Canvas;
    }

    static int CheckScale(int scale) =>
        scale is >= 1 and <= 8 ? scale : throw new CircuitLensException($"PNG scale must be 1..8, got {scale}");
}
