// Draws HeatmapFigure onto a Canvas for PNG output. Layout units become pixels times `scale`;
// text uses the bitmap font at 1× (labels) or 2× (titles) times `scale`, so it stays crisp.
// Hover text has no place in a PNG and is dropped.
namespace CircuitLens.Reports;

internal sealed class CanvasSurface(int scale) : IFigureSurface
{
    static readonly Rgb NanBack = new(236, 236, 236), NanHatch = new(168, 168, 168);
    Canvas? canvas;

    public Canvas Canvas => canvas ?? throw new InvalidOperationException("nothing drawn yet");

    static int FontScale(TextRole role) => role is TextRole.Title or TextRole.PanelTitle ? 2 : 1;

    public float TextWidth(string text, TextRole role) => Canvas.MeasureText(text, FontScale(role));

    public float LineHeight(TextRole role) => (BitmapFont.LineHeight + 3) * FontScale(role);

    public void Begin(float width, float height) => canvas = new Canvas(Px(width), Px(height));

    public void Cell(float x, float y, float w, float h, Rgb fill, string hover) => FillRect(x, y, w, h, fill);

    public void MissingCell(float x, float y, float w, float h, string hover) => Hatch(x, y, w, h);

    public void Hatch(float x, float y, float w, float h)
    {
        int x0 = Px(x), y0 = Px(y), x1 = Px(x + w), y1 = Px(y + h);
        Canvas.FillRect(x0, y0, x1 - x0, y1 - y0, NanBack);
        int period = 6 * scale;
        for (int py = y0; py < y1; py++)
            for (int px = x0; px < x1; px++)
                if ((px + py) % period < scale) Canvas.SetPixel(px, py, NanHatch);
    }

    public void FillRect(float x, float y, float w, float h, Rgb fill)
    {
        int x0 = Px(x), y0 = Px(y);
        Canvas.FillRect(x0, y0, Math.Max(Px(x + w) - x0, 1), Math.Max(Px(y + h) - y0, 1), fill);
    }

    public void StrokeRect(float x, float y, float w, float h, Rgb stroke, float thickness)
    {
        int x0 = Px(x), y0 = Px(y);
        Canvas.StrokeRect(x0, y0, Px(x + w) - x0, Px(y + h) - y0, stroke, Math.Max(1, (int)MathF.Round(thickness * scale)));
    }

    public void Text(float x, float y, string text, TextRole role, TextAnchor anchor, Rgb color)
    {
        int fs = FontScale(role) * scale;
        int w = Canvas.MeasureText(text, fs);
        int left = Px(x) - anchor switch { TextAnchor.Middle => w / 2, TextAnchor.End => w, _ => 0 };
        Canvas.DrawText(left, Px(y) - BitmapFont.CapHeight * fs / 2, text, color, fs);
    }

    public void TextUp(float x, float y, string text, TextRole role, TextAnchor anchor, Rgb color)
    {
        int fs = FontScale(role) * scale;
        int w = Canvas.MeasureText(text, fs);
        int start = Px(y) + anchor switch { TextAnchor.Middle => w / 2, TextAnchor.End => w, _ => 0 };
        Canvas.DrawTextUp(Px(x) - BitmapFont.CapHeight * fs / 2, start, text, color, fs);
    }

    public void ColorBar(float x, float y, float w, float h, ColorMapping mapping)
    {
        int x0 = Px(x), y0 = Px(y), x1 = Px(x + w), y1 = Px(y + h);
        for (int py = y0; py < y1; py++)
        {
            float f = (y1 - 1 - py) / (float)Math.Max(y1 - y0 - 1, 1);   // 0 at the bottom row, 1 at the top
            Canvas.FillRect(x0, py, x1 - x0, 1, mapping.ColorOf(mapping.Min + f * (mapping.Max - mapping.Min)));
        }
    }

    int Px(float v) => (int)MathF.Round(v * scale);
}
