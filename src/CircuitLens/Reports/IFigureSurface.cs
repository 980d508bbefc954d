// What HeatmapFigure draws on: the SVG writer and the PNG canvas both implement it, so one
// layout serves both formats. Coordinates are abstract units (SVG user units, PNG pixels before
// the scale factor); text is measured by the surface because the two fonts differ.
namespace CircuitLens.Reports;

internal enum TextRole { Title, Subtitle, PanelTitle, Label, AxisTitle, CellText, Legend }

internal enum TextAnchor { Start, Middle, End }

internal interface IFigureSurface
{
    float TextWidth(string text, TextRole role);
    float LineHeight(TextRole role);
    void Begin(float width, float height);
    /// <summary>A value cell; hover is the text a reader sees when pointing at it (SVG &lt;title&gt;).</summary>
    void Cell(float x, float y, float w, float h, Rgb fill, string hover);
    /// <summary>A cell without a value (NaN): drawn grey and hatched.</summary>
    void MissingCell(float x, float y, float w, float h, string hover);
    /// <summary>The same grey hatching as a missing cell, without hover (legend swatch).</summary>
    void Hatch(float x, float y, float w, float h);
    void FillRect(float x, float y, float w, float h, Rgb fill);
    /// <summary>Outline drawn inside the rectangle.</summary>
    void StrokeRect(float x, float y, float w, float h, Rgb stroke, float thickness);
    /// <summary>Horizontal text; y is the vertical middle of the line.</summary>
    void Text(float x, float y, string text, TextRole role, TextAnchor anchor, Rgb color);
    /// <summary>Text turned to read bottom-to-top; x is the middle of the line, the anchor applies along y (Start = begins at y and runs up).</summary>
    void TextUp(float x, float y, string text, TextRole role, TextAnchor anchor, Rgb color);
    /// <summary>A vertical colour bar, mapping.Min at the bottom and mapping.Max at the top.</summary>
    void ColorBar(float x, float y, float w, float h, ColorMapping mapping);
}
