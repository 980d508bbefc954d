// A plain RGBA8 raster with just what heatmap pictures need: filled and outlined rectangles,
// lines, and text in the embedded BitmapFont (horizontal or turned 90° to read bottom-to-top),
// scaled by whole numbers so it stays crisp. Hand-written because no drawing library is
// available to this project. No anti-aliasing, no alpha blending, no clipping paths.
using System.Text;

namespace CircuitLens.Reports;

public sealed class Canvas
{
    /// <summary>Largest side accepted; keeps a runaway figure from allocating gigabytes.</summary>
    public const int MaxSide = 16384;

    public int Width { get; }
    public int Height { get; }
    /// <summary>Row-major RGBA8 pixels, Width*Height*4 bytes.</summary>
    public byte[] Pixels { get; }

    public Canvas(int width, int height) : this(width, height, Rgb.White) { }

    public Canvas(int width, int height, Rgb background)
    {
        if (width <= 0 || height <= 0 || width > MaxSide || height > MaxSide)
            throw new CircuitLensException($"picture size {width}×{height} is outside 1..{MaxSide} pixels per side");
        Width = width;
        Height = height;
        Pixels = new byte[checked(width * height * 4)];
        FillRect(0, 0, width, height, background);
    }

    public Rgb GetPixel(int x, int y)
    {
        int i = (y * Width + x) * 4;
        return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    public void SetPixel(int x, int y, Rgb c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 4;
        Pixels[i] = c.R; Pixels[i + 1] = c.G; Pixels[i + 2] = c.B; Pixels[i + 3] = 255;
    }

    public void FillRect(int x, int y, int w, int h, Rgb c)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0);
        int x1 = Math.Min(x + w, Width), y1 = Math.Min(y + h, Height);
        if (x0 >= x1 || y0 >= y1) return;
        // Fill the first row pixel by pixel, then copy it down: flat regions are most of a heatmap.
        var row = Pixels.AsSpan((y0 * Width + x0) * 4, (x1 - x0) * 4);
        for (int i = 0; i < row.Length; i += 4) { row[i] = c.R; row[i + 1] = c.G; row[i + 2] = c.B; row[i + 3] = 255; }
        for (int y2 = y0 + 1; y2 < y1; y2++) row.CopyTo(Pixels.AsSpan((y2 * Width + x0) * 4));
    }

    /// <summary>Outline drawn inside the rectangle, thickness pixels wide.</summary>
    public void StrokeRect(int x, int y, int w, int h, Rgb c, int thickness = 1)
    {
        FillRect(x, y, w, thickness, c);
        FillRect(x, y + h - thickness, w, thickness, c);
        FillRect(x, y, thickness, h, c);
        FillRect(x + w - thickness, y, thickness, h, c);
    }

    /// <summary>A 1-pixel line between two points, both ends included (Bresenham).</summary>
    public void Line(int x0, int y0, int x1, int y1, Rgb c)
    {
        int dx = Math.Abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
        int dy = -Math.Abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
        int err = dx + dy;
        while (true)
        {
            SetPixel(x0, y0, c);
            if (x0 == x1 && y0 == y1) return;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    /// <summary>Width in pixels of text drawn at this scale (one glyph per Unicode scalar).</summary>
    public static int MeasureText(string text, int scale = 1)
    {
        int n = 0;
        foreach (var _ in text.EnumerateRunes()) n++;
        return n == 0 ? 0 : (n * BitmapFont.Advance - 1) * scale;
    }

    /// <summary>Text with its glyph box's top-left at (x, y); returns the width drawn.</summary>
    public int DrawText(int x, int y, string text, Rgb c, int scale = 1)
    {
        int u = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var rows = BitmapFont.Rows(GlyphChar(rune));
            for (int gy = 0; gy < BitmapFont.GlyphHeight; gy++)
                for (int gx = 0; gx < BitmapFont.GlyphWidth; gx++)
                    if ((rows[gy] & (1 << (BitmapFont.GlyphWidth - 1 - gx))) != 0)
                        FillRect(x + (u + gx) * scale, y + gy * scale, scale, scale, c);
            u += BitmapFont.Advance;
        }
        return MeasureText(text, scale);
    }

    /// <summary>Text turned 90° anticlockwise (reads bottom-to-top): it starts at y and runs upward; x is the left edge of the line (the glyph tops).</summary>
    public int DrawTextUp(int x, int y, string text, Rgb c, int scale = 1)
    {
        int u = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var rows = BitmapFont.Rows(GlyphChar(rune));
            for (int gy = 0; gy < BitmapFont.GlyphHeight; gy++)
                for (int gx = 0; gx < BitmapFont.GlyphWidth; gx++)
                    if ((rows[gy] & (1 << (BitmapFont.GlyphWidth - 1 - gx))) != 0)
                        FillRect(x + gy * scale, y - (u + gx + 1) * scale, scale, scale, c);
            u += BitmapFont.Advance;
        }
        return MeasureText(text, scale);
    }

    public byte[] ToPng() => PngEncoder.Encode(Pixels, Width, Height);

    static char GlyphChar(Rune r) => r.IsBmp && BitmapFont.Has((char)r.Value) ? (char)r.Value : '?';
}
