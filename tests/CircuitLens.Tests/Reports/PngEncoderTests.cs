using CircuitLens.Reports;

namespace CircuitLens.Tests.Reports;

public class PngEncoderTests
{
    [Fact]
    public void RoundTripsEveryPixelAndWritesValidChunks()
    {
        // Varied content so that several filter types get chosen.
        int w = 37, h = 23;
        var rgba = new byte[w * h * 4];
        var rng = new Random(7);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 4;
                bool noisy = y % 3 == 0;
                rgba[i] = (byte)(noisy ? rng.Next(256) : x * 5);
                rgba[i + 1] = (byte)(noisy ? rng.Next(256) : y * 9);
                rgba[i + 2] = (byte)(x * y);
                rgba[i + 3] = (byte)(x % 2 == 0 ? 255 : 128);
            }
        var png = DecodedPng.Decode(PngEncoder.Encode(rgba, w, h));
        Assert.Equal(w, png.Width);
        Assert.Equal(h, png.Height);
        Assert.Equal(rgba, png.Rgba);
        Assert.Equal(["IHDR", "IDAT", "IEND"], png.ChunkTypes);
    }

    [Fact]
    public void RejectsMismatchedBuffer() =>
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new byte[10], 2, 2));

    [Fact]
    public void CanvasPixelsSurviveEncoding()
    {
        var c = new Canvas(20, 10);
        c.FillRect(2, 3, 5, 4, new Rgb(10, 200, 30));
        c.StrokeRect(10, 0, 8, 8, new Rgb(200, 0, 0), 2);
        var png = DecodedPng.Decode(c.ToPng());
        Assert.Equal((10, 200, 30, 255), png.Pixel(4, 5));
        Assert.Equal((255, 255, 255, 255), png.Pixel(0, 0));
        Assert.Equal((200, 0, 0, 255), png.Pixel(11, 1));
        Assert.Equal((255, 255, 255, 255), png.Pixel(14, 4));   // inside the outline
    }
}
