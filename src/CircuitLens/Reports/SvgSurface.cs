// Writes the inline SVG of report.html for HeatmapFigure: one <rect> per cell with a <title> for
// hover (and data-l/data-h for head cells the report's script opens), text as <text> elements, a
// gradient for the colour bar and a hatch pattern for NaN cells. Text widths are estimated
// (monospace labels at 0.6 em, proportional titles at a generous 0.6 em) because a browser's real
// fonts are unknown here.
using System.Globalization;
using System.Text;

namespace CircuitLens.Reports;

internal enum TextRole { Title, Subtitle, PanelTitle, Label, AxisTitle, CellText, Legend }

internal enum TextAnchor { Start, Middle, End }

internal sealed class SvgSurface
{
    const string Sans = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif";
    const string Mono = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace";

    readonly StringBuilder sb = new();
    readonly string idPrefix;
    readonly bool standalone;
    int gradients;

    /// <param name="idPrefix">Prefix for element ids, unique per figure when several share one HTML page.</param>
    /// <param name="standalone">True for a .svg file (XML declaration and namespace); false for inline HTML.</param>
    public SvgSurface(string idPrefix, bool standalone)
    {
        this.idPrefix = idPrefix;
        this.standalone = standalone;
    }

    static (float Size, bool Bold, bool Mono) Font(TextRole role) => role switch
    {
        TextRole.Title => (18, true, false),
        TextRole.Subtitle => (13, false, false),
        TextRole.PanelTitle => (14, true, false),
        TextRole.AxisTitle => (13, false, false),
        TextRole.Legend => (12, false, false),
        TextRole.CellText => (11, false, true),
        _ => (12, false, true),
    };

    public float TextWidth(string text, TextRole role)
    {
        var (size, bold, _) = Font(role);
        float em = 0;
        foreach (var r in text.EnumerateRunes()) em += r.Value >= 0x1100 ? 1.0f : 0.6f;   // wide scripts take about a full em
        return em * size * (bold ? 1.05f : 1f);
    }

    public float LineHeight(TextRole role) => MathF.Round(Font(role).Size * 1.35f);

    public void Begin(float width, float height)
    {
        if (standalone) sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.Append("<svg");
        if (standalone) sb.Append(" xmlns=\"http://www.w3.org/2000/svg\"");
        sb.Append(Inv($" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" class=\"heatmap\" font-family=\"{Sans}\">\n"));
        sb.Append(Inv($"<defs><pattern id=\"{idPrefix}nan\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"))
          .Append("<rect width=\"6\" height=\"6\" fill=\"#ececec\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#a8a8a8\" stroke-width=\"2\"/></pattern></defs>\n");
        sb.Append(Inv($"<rect width=\"{N(width)}\" height=\"{N(height)}\" fill=\"#ffffff\"/>\n"));
    }

    public string Finish() => sb.Append("</svg>\n").ToString();

    /// <summary>A value cell; hover is the text a reader sees when pointing at it; head = (layer, head) when the cell stands for an attention head.</summary>
    public void Cell(float x, float y, float w, float h, Rgb fill, string hover, (int Layer, int Head)? head = null) =>
        sb.Append(Inv($"<rect class=\"cell\"{HeadData(head)} x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(w)}\" height=\"{N(h)}\" fill=\"{fill.ToHex()}\"><title>{Escape(hover)}</title></rect>\n"));

    public void MissingCell(float x, float y, float w, float h, string hover, (int Layer, int Head)? head = null) =>
        sb.Append(Inv($"<rect class=\"cell nan\"{HeadData(head)} x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(w)}\" height=\"{N(h)}\" fill=\"url(#{idPrefix}nan)\"><title>{Escape(hover)}</title></rect>\n"));

    public void Hatch(float x, float y, float w, float h) =>
        sb.Append(Inv($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(w)}\" height=\"{N(h)}\" fill=\"url(#{idPrefix}nan)\"/>\n"));

    public void FillRect(float x, float y, float w, float h, Rgb fill) =>
        sb.Append(Inv($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(w)}\" height=\"{N(h)}\" fill=\"{fill.ToHex()}\"/>\n"));

    public void StrokeRect(float x, float y, float w, float h, Rgb stroke, float thickness)
    {
        float t = thickness / 2;   // SVG strokes straddle the path; inset by half to stay inside
        sb.Append(Inv($"<rect x=\"{N(x + t)}\" y=\"{N(y + t)}\" width=\"{N(w - thickness)}\" height=\"{N(h - thickness)}\" fill=\"none\" stroke=\"{stroke.ToHex()}\" stroke-width=\"{N(thickness)}\"/>\n"));
    }

    public void Text(float x, float y, string text, TextRole role, TextAnchor anchor, Rgb color) =>
        sb.Append(Inv($"<text x=\"{N(x)}\" y=\"{N(y)}\"{Attributes(role, anchor, color)}>{Escape(text)}</text>\n"));

    public void TextUp(float x, float y, string text, TextRole role, TextAnchor anchor, Rgb color) =>
        sb.Append(Inv($"<text transform=\"translate({N(x)} {N(y)}) rotate(-90)\"{Attributes(role, anchor, color)}>{Escape(text)}</text>\n"));

    public void ColorBar(float x, float y, float w, float h, ColorMapping mapping)
    {
        string id = Inv($"{idPrefix}bar{gradients++}");
        sb.Append(Inv($"<defs><linearGradient id=\"{id}\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"));
        const int steps = 20;
        for (int i = 0; i <= steps; i++)
        {
            float f = i / (float)steps;
            var c = mapping.ColorOf(mapping.Min + f * (mapping.Max - mapping.Min));
            sb.Append(Inv($"<stop offset=\"{N(f)}\" stop-color=\"{c.ToHex()}\"/>"));
        }
        sb.Append("</linearGradient></defs>\n");
        sb.Append(Inv($"<rect class=\"colorbar\" x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(w)}\" height=\"{N(h)}\" fill=\"url(#{id})\"/>\n"));
    }

    static string Attributes(TextRole role, TextAnchor anchor, Rgb color)
    {
        var (size, bold, mono) = Font(role);
        var a = new StringBuilder();
        a.Append(Inv($" font-size=\"{N(size)}\" dominant-baseline=\"central\""));
        if (mono) a.Append(" font-family=\"").Append(Mono).Append('"');
        if (bold) a.Append(" font-weight=\"bold\"");
        if (anchor != TextAnchor.Start) a.Append(anchor == TextAnchor.Middle ? " text-anchor=\"middle\"" : " text-anchor=\"end\"");
        if (color != Rgb.Black) a.Append(" fill=\"").Append(color.ToHex()).Append('"');
        if (mono) a.Append(" xml:space=\"preserve\"");
        return a.ToString();
    }

    /// <summary>XML-escapes text and replaces characters XML cannot carry (controls, lone surrogates) with U+FFFD.</summary>
    public static string Escape(string text)
    {
        var e = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            switch (ch)
            {
                case '&': e.Append("&amp;"); break;
                case '<': e.Append("&lt;"); break;
                case '>': e.Append("&gt;"); break;
                case '"': e.Append("&quot;"); break;
                case '\'': e.Append("&#39;"); break;
                default:
                    if (char.IsHighSurrogate(ch) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { e.Append(ch).Append(text[++i]); }
                    else if (char.IsSurrogate(ch) || (ch < 0x20 && ch is not ('\t' or '\n' or '\r')) || ch is '\uFFFE' or '\uFFFF') e.Append('\uFFFD');
                    else e.Append(ch);
                    break;
            }
        }
        return e.ToString();
    }

    static string HeadData((int Layer, int Head)? head) =>
        head is var (l, h) ? Inv($" data-l=\"{l}\" data-h=\"{h}\"") : "";

    static string N(float v) => MathF.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);
    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
