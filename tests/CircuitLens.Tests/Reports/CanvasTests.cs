using CircuitLens.Reports;

namespace CircuitLens.Tests.Reports;

public class CanvasTests
{
    static bool Ink(Canvas c, int x, int y) => c.GetPixel(x, y) == Rgb.Black;

    [Fact]
    public void DrawsGlyphsFromTheBitmapFont()
    {
        var c = new Canvas(20, 12);
        int w = c.DrawText(0, 0, "A", Rgb.Black);
        Assert.Equal(5, w);
        // 'A' is ".###." on its top row and "#...#" below.
        Assert.False(Ink(c, 0, 0));
        Assert.True(Ink(c, 1, 0) && Ink(c, 2, 0) && Ink(c, 3, 0));
        Assert.True(Ink(c, 0, 1) && Ink(c, 4, 1));
        Assert.False(Ink(c, 2, 1));
    }

    [Fact]
    public void ScalesGlyphsByWholePixels()
    {
        var c = new Canvas(20, 24);
        Assert.Equal(2 * (2 * 6 - 1), c.DrawText(0, 0, "II", Rgb.Black, scale: 2));
        // 'I' top row ".###." → at scale 2 columns 2..7 of rows 0..1 are ink.
        Assert.True(Ink(c, 2, 0) && Ink(c, 7, 1));
        Assert.False(Ink(c, 1, 0) || Ink(c, 8, 0));
    }

    [Fact]
    public void VerticalTextReadsBottomToTop()
    {
        var c = new Canvas(12, 12);
        c.DrawTextUp(0, 10, "L", Rgb.Black);
        // 'L' is a full left column and a full bottom row (row 6). Turned anticlockwise, the left
        // column becomes the bottom line (y = 9) and row 6 becomes the column x = 6.
        for (int gy = 0; gy < 7; gy++) Assert.True(Ink(c, gy, 9));
        for (int gx = 0; gx < 5; gx++) Assert.True(Ink(c, 6, 9 - gx));
        Assert.False(Ink(c, 3, 7));
    }

    [Fact]
    public void NonAsciiIsDrawnAsQuestionMark()
    {
        var a = new Canvas(20, 12);
        a.DrawText(0, 0, "é日", Rgb.Black);
        var b = new Canvas(20, 12);
        b.DrawText(0, 0, "??", Rgb.Black);
        Assert.Equal(b.Pixels, a.Pixels);
        Assert.Equal(Canvas.MeasureText("??"), Canvas.MeasureText("é日"));
    }

    [Fact]
    public void RejectsAbsurdSizes() =>
        Assert.Throws<CircuitLensException>(() => new Canvas(0, 10));
}
