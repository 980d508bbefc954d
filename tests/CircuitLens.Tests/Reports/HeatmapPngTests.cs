using CircuitLens.Reports;

namespace CircuitLens.Tests.Reports;

public class HeatmapPngTests
{
    static readonly Rgb Blue = Rgb.FromHex("#053061"), Red = Rgb.FromHex("#67001f");

    // Bounding box of the pixels with exactly this colour that lie in a horizontal run of at least
    // 17 pixels: cells (22-28 px wide at scale 1) qualify, the 14-pixel colour bar does not.
    static (int X0, int Y0, int X1, int Y1, int Count) Box(DecodedPng png, Rgb c)
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1, n = 0;
        for (int y = 0; y < png.Height; y++)
            for (int x = 0; x < png.Width;)
            {
                int end = x;
                while (end < png.Width && png.Pixel(end, y) == (c.R, c.G, c.B, 255)) end++;
                if (end - x >= 17)
                {
                    x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, end - 1); y1 = Math.Max(y1, y); n += end - x;
                }
                x = Math.Max(end, x + 1);
            }
        return (x0, y0, x1, y1, n);
    }

    [Fact]
    public void CellsHaveTheRampColoursAtTheirCentres()
    {
        // One row: +1, 0, -1. The red cell is right of the white one, which is right of the blue one.
        var map = Heatmap.LayerHead("three", new float[,] { { 1f, 0f, -1f } });
        var canvas = HeatmapPng.RenderCanvas(map, scale: 1);
        var png = DecodedPng.Decode(HeatmapPng.Render(map, scale: 1));
        Assert.Equal(canvas.Width, png.Width);
        Assert.Equal(canvas.Pixels, png.Rgba);

        var blue = Box(png, Blue);
        var red = Box(png, Red);
        Assert.True(blue.Count > 20 * 20, $"blue cell too small: {blue.Count} px");
        Assert.True(red.Count > 20 * 20, $"red cell too small: {red.Count} px");
        Assert.Equal(blue.Y0, red.Y0);
        int cell = (red.X0 - blue.X0) / 2;   // red is two cells right of blue
        Assert.InRange(cell, 20, 40);
        // Cells are square-ish and the middle one, at the white end, is white at its centre.
        Assert.InRange(blue.Y1 - blue.Y0 + 1, cell - 2, cell + 2);
        int cx = blue.X0 + cell + cell / 2, cy = (blue.Y0 + blue.Y1) / 2;
        Assert.Equal((255, 255, 255, 255), png.Pixel(cx, cy));
        Assert.Equal((Blue.R, Blue.G, Blue.B, (byte)255), png.Pixel((blue.X0 + blue.X1) / 2, cy));
    }

    [Fact]
    public void ScaleMultipliesThePictureSize()
    {
        var map = Heatmap.LayerHead("scaled", new float[,] { { 0.3f, -0.2f }, { 0.1f, float.NaN } });
        var one = HeatmapPng.RenderCanvas(map, 1);
        var two = HeatmapPng.RenderCanvas(map, 2);
        Assert.InRange(two.Width, 2 * one.Width - 2, 2 * one.Width + 2);
        Assert.InRange(two.Height, 2 * one.Height - 2, 2 * one.Height + 2);
        Assert.Throws<CircuitLensException>(() => HeatmapPng.Render(map, 0));
    }

    [Fact]
    public void GridDecodesAndHasDarkestColoursOnlyForTheStrongMap()
    {
        var strong = Heatmap.LayerHead("output", new float[,] { { 1f, -1f } });
        var weak = Heatmap.LayerHead("query", new float[,] { { 0.1f, -0.1f } });
        var png = DecodedPng.Decode(HeatmapPng.RenderGrid([strong, weak], "every", scale: 1));
        var blue = Box(png, Blue);
        // Dark blue fills exactly one cell: the strong map's +1 (the weak map's 0.1 is pale on the shared scale).
        Assert.InRange(blue.Count, 15 * 15, 30 * 30);
        Assert.InRange(blue.X1 - blue.X0 + 1, 15, 30);
        Assert.Equal(["IHDR", "IDAT", "IEND"], png.ChunkTypes);
    }
}
