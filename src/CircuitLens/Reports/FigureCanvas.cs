// Puts one or more ScottPlot plots on one picture and encodes it as PNG or SVG: a figure title and
// subtitle on top, the panels in a grid, a legend of text lines below. Each panel asks for the size of
// its data area (cells of a fixed size, so maps and colour bars keep their proportions); the margins
// that ScottPlot needs for tick labels, axis titles and colour bars are measured in a first render and
// then fixed, so the picture has no blank space beyond a small border. Rasterising, fonts and encoding
// are SkiaSharp's (through ScottPlot); this file only does the arithmetic of where things go.
using ScottPlot;
using SkiaSharp;

namespace CircuitLens.Reports;

/// <summary>One plot and the size its data area should have, in pixels at scale 1.</summary>
internal sealed record FigurePanel(Plot Plot, float DataWidth, float DataHeight);

internal sealed record FigureSpec(string Title, string? Subtitle, IReadOnlyList<FigurePanel> Panels, int Columns)
{
    /// <summary>Lines of text under the panels (legend of mark tags, NaN colour).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

internal static class FigureCanvas
{
    const float Border = 10, Gap = 8, TitleSize = 16, SubtitleSize = 12, NoteSize = 12, MinNoteWidth = 420;
    public const string FontName = FigureFonts.Name;

    public static byte[] Png(FigureSpec spec, int scale)
    {
        if (scale is < 1 or > 8) throw new CircuitLensException($"PNG scale must be 1..8, got {scale}");
        var layout = Layout(spec);
        var info = new SKImageInfo((int)MathF.Ceiling(layout.Width * scale), (int)MathF.Ceiling(layout.Height * scale), SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info) ?? throw new CircuitLensException($"cannot allocate a {info.Width}×{info.Height} picture");
        surface.Canvas.Clear(SKColors.White);
        surface.Canvas.Scale(scale);
        Draw(surface.Canvas, spec, layout);
        surface.Canvas.Flush();
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public static string Svg(FigureSpec spec)
    {
        var layout = Layout(spec);
        var stream = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, MathF.Ceiling(layout.Width), MathF.Ceiling(layout.Height)), stream))
        {
            canvas.Clear(SKColors.White);
            Draw(canvas, spec, layout);
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    sealed record Placed(float Width, float Height, PixelRect[] Panels, float TitleHeight, float NotesTop, List<string> Notes);

    static Placed Layout(FigureSpec spec)
    {
        if (spec.Panels.Count == 0) throw new CircuitLensException($"figure '{spec.Title}' has no panels");
        int columns = Math.Clamp(spec.Columns, 1, spec.Panels.Count);
        var sizes = new (float W, float H)[spec.Panels.Count];
        for (int i = 0; i < sizes.Length; i++)
        {
            var p = spec.Panels[i];
            p.Plot.Layout.Default();
            int probeW = (int)p.DataWidth + 600, probeH = (int)p.DataHeight + 600;
            p.Plot.RenderInMemory(probeW, probeH);
            var pad = p.Plot.LastRender.Padding;
            var fixedPad = new PixelPadding(MathF.Ceiling(pad.Left), MathF.Ceiling(pad.Right), MathF.Ceiling(pad.Bottom), MathF.Ceiling(pad.Top));
            p.Plot.Layout.Fixed(fixedPad);
            sizes[i] = (p.DataWidth + fixedPad.Left + fixedPad.Right, p.DataHeight + fixedPad.Top + fixedPad.Bottom);
        }

        int rows = (sizes.Length + columns - 1) / columns;
        var colW = new float[columns];
        var rowH = new float[rows];
        for (int i = 0; i < sizes.Length; i++)
        {
            colW[i % columns] = Math.Max(colW[i % columns], sizes[i].W);
            rowH[i / columns] = Math.Max(rowH[i / columns], sizes[i].H);
        }
        float titleH = LineHeight(TitleSize) + (spec.Subtitle is null ? 0 : LineHeight(SubtitleSize)) + Gap;
        float panelsW = colW.Sum() + Gap * (columns - 1);
        float panelsH = rowH.Sum() + Gap * (rows - 1);
        var rects = new PixelRect[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            float x = Border + colW.Take(i % columns).Sum() + Gap * (i % columns);
            float y = Border + titleH + rowH.Take(i / columns).Sum() + Gap * (i / columns);
            rects[i] = new PixelRect(x, x + sizes[i].W, y + sizes[i].H, y);
        }
        float width = Math.Max(panelsW, Math.Max(TextWidth(spec.Title, TitleSize, true), spec.Subtitle is null ? 0 : TextWidth(spec.Subtitle, SubtitleSize, false)));
        var notes = spec.Notes.SelectMany(n => Wrap(n, Math.Max(width, MinNoteWidth))).ToList();
        width = Math.Max(width, notes.Select(n => TextWidth(n, NoteSize, false)).DefaultIfEmpty(0).Max());
        float notesTop = Border + titleH + panelsH + (notes.Count > 0 ? Gap : 0);
        float height = notesTop + notes.Count * LineHeight(NoteSize) + Border;
        return new Placed(width + 2 * Border, height, rects, titleH, notesTop, notes);
    }

    static void Draw(SKCanvas canvas, FigureSpec spec, Placed layout)
    {
        // A plot clears its background with SKCanvas.Clear, which fills the whole clip: clip to its rectangle first.
        for (int i = 0; i < spec.Panels.Count; i++)
        {
            var r = layout.Panels[i];
            canvas.Save();
            canvas.ClipRect(new SKRect(r.Left, r.Top, r.Right, r.Bottom));
            spec.Panels[i].Plot.Render(canvas, r);
            canvas.Restore();
        }
        using var paint = Paint.NewDisposablePaint();
        float y = Border;
        Text(canvas, paint, spec.Title, Border, y, TitleSize, bold: true, Colors.Black);
        y += LineHeight(TitleSize);
        if (spec.Subtitle is not null) Text(canvas, paint, spec.Subtitle, Border, y, SubtitleSize, bold: false, new Color(90, 90, 90));
        y = layout.NotesTop;
        foreach (var note in layout.Notes)
        {
            Text(canvas, paint, note, Border, y, NoteSize, bold: false, new Color(40, 40, 40));
            y += LineHeight(NoteSize);
        }
    }

    static LabelStyle Style(string text, float size, bool bold, Color color) => new()
    {
        Text = text, FontName = FontName, FontSize = size, Bold = bold, ForeColor = color, Alignment = Alignment.UpperLeft,
    };

    static void Text(SKCanvas canvas, Paint paint, string text, float x, float y, float size, bool bold, Color color) =>
        Style(text, size, bold, color).Render(canvas, new Pixel(x, y), paint);

    public static float TextWidth(string text, float size, bool bold)
    {
        using var paint = Paint.NewDisposablePaint();
        return Style(text, size, bold, Colors.Black).Measure(paint).Width;
    }

    // Greedy word wrap at " · " separators, then spaces, so no note widens the picture.
    static IEnumerable<string> Wrap(string text, float width)
    {
        var words = text.Split(' ');
        string line = "";
        foreach (var w in words)
        {
            string next = line.Length == 0 ? w : line + " " + w;
            if (line.Length > 0 && TextWidth(next, NoteSize, false) > width) { yield return line.TrimEnd(' ', '·'); line = w == "·" ? "" : w; }
            else line = next;
        }
        if (line.Length > 0) yield return line;
    }

    static float LineHeight(float size) => MathF.Ceiling(size * 1.4f);
}
