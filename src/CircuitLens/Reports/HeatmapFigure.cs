// Lays out and draws the interactive heatmaps of report.html on an SvgSurface: title and subtitle,
// panels (one <rect> per cell with its hover text and, for [layer, head] maps, the head it stands
// for), row/column labels, axis titles, a colour bar with ticks and the value label, and a legend for
// mark tags and NaN cells. The .png/.svg files are ScottPlot's (HeatmapPng/HeatmapSvg); this one
// stays hand-written because the report's script needs every cell as its own element.
using System.Globalization;

namespace CircuitLens.Reports;

internal static class HeatmapFigure
{
    const float Margin = 16, Gap = 6, PanelGap = 22, BarGap = 18;
    const float BaseCell = 28, MinCell = 6, MaxCell = 48, MaxGridExtent = 900;
    const float BarWidth = 14, TickLength = 4, MinBarHeight = 140;
    const int MaxAnnotatedSide = 40;
    static readonly Rgb Ink = new(34, 34, 34), Muted = new(96, 96, 96), GridLine = new(150, 150, 150), MarkLine = new(0, 0, 0);

    /// <summary>Single map: its own title and subtitle, no panel title.</summary>
    public static void Draw(SvgSurface s, Heatmap map) =>
        Draw(s, [map], map.Title, map.Subtitle, 1, sharedScale: true, panelTitles: false);

    /// <summary>Several maps side by side, `columns` per row.</summary>
    public static void DrawGrid(SvgSurface s, IReadOnlyList<Heatmap> maps, string title, int columns, bool sharedScale)
    {
        if (maps.Count == 0) throw new CircuitLensException($"heatmap grid '{title}' has no maps");
        var subtitles = maps.Select(m => m.Subtitle).Distinct().ToList();
        Draw(s, maps, title, subtitles.Count == 1 ? subtitles[0] : null, columns, sharedScale, panelTitles: true);
    }

    static void Draw(SvgSurface s, IReadOnlyList<Heatmap> maps, string title, string? subtitle, int columns, bool sharedScale, bool panelTitles)
    {
        foreach (var m in maps) m.Validate();
        columns = Math.Clamp(columns, 1, maps.Count);
        var shared = sharedScale ? ColorMapping.Shared(maps) : null;

        // Panels: row labels (and the row axis title) only where they add information.
        var panels = new Panel[maps.Count];
        // Smaller cells when panels sit side by side, so a 5-map "every" figure fits a laptop screen.
        float baseCell = columns >= 4 ? 18 : columns >= 2 ? 22 : BaseCell;
        for (int i = 0; i < maps.Count; i++)
        {
            bool firstInRow = i % columns == 0;
            bool sameRowsAsFirst = maps[i].RowLabels.SequenceEqual(maps[0].RowLabels) && maps[i].RowAxisTitle == maps[0].RowAxisTitle;
            var mapping = shared ?? ColorMapping.For(maps[i].Scale, maps[i].Limit, [maps[i].Values]);
            panels[i] = Panel.Measure(s, maps[i], mapping, baseCell, showRows: firstInRow || !sameRowsAsFirst, showTitle: panelTitles, ownBar: shared is null);
        }

        int gridRows = (maps.Count + columns - 1) / columns;
        var colW = new float[columns];
        var rowH = new float[gridRows];
        for (int i = 0; i < panels.Length; i++)
        {
            colW[i % columns] = Math.Max(colW[i % columns], panels[i].Width);
            rowH[i / columns] = Math.Max(rowH[i / columns], panels[i].Height);
        }
        float panelsW = colW.Sum() + PanelGap * (columns - 1);
        float panelsH = rowH.Sum() + PanelGap * (gridRows - 1);

        float titleH = s.LineHeight(TextRole.Title) + (subtitle is null ? 0 : s.LineHeight(TextRole.Subtitle)) + 2 * Gap;
        float top = Margin + titleH;
        float contentW = panelsW, contentH = panelsH;
        float barTop = top + panels[0].GridY, barH = 0;
        if (shared is not null)
        {
            barH = BarHeight(s, panels[0].GridH, maps[0].ValueLabel);
            contentW += BarGap + BarBlockWidth(s, shared, maps[0].ValueLabel);
            contentH = Math.Max(contentH, barTop - top + barH + Gap);
        }

        var legend = LegendItems(maps);
        float legendLimit = Math.Max(contentW, 360);
        var legendLines = LayoutLegend(s, legend, legendLimit, out float legendW);
        float legendH = legendLines.Count * (s.LineHeight(TextRole.Legend) + 4);

        float width = Margin * 2 + Max(contentW, s.TextWidth(title, TextRole.Title),
            subtitle is null ? 0 : s.TextWidth(subtitle, TextRole.Subtitle), legendW);
        float height = top + contentH + (legendLines.Count > 0 ? 2 * Gap + legendH : 0) + Margin;
        s.Begin(MathF.Ceiling(width), MathF.Ceiling(height));

        float y = Margin + s.LineHeight(TextRole.Title) / 2;
        s.Text(Margin, y, title, TextRole.Title, TextAnchor.Start, Ink);
        if (subtitle is not null)
            s.Text(Margin, Margin + s.LineHeight(TextRole.Title) + s.LineHeight(TextRole.Subtitle) / 2, subtitle, TextRole.Subtitle, TextAnchor.Start, Muted);

        for (int i = 0; i < panels.Length; i++)
        {
            float px = Margin + colW.Take(i % columns).Sum() + PanelGap * (i % columns);
            float py = top + rowH.Take(i / columns).Sum() + PanelGap * (i / columns);
            panels[i].Draw(s, px, py);
        }
        if (shared is not null)
            DrawColorBar(s, Margin + panelsW + BarGap, barTop, barH, shared, maps[0].ValueLabel);

        DrawLegend(s, legendLines, Margin, top + contentH + 2 * Gap);
    }


    static float Max(params float[] v) => v.Max();

    // ---------------------------------------------------------------- colour bar

    static float BarHeight(SvgSurface s, float gridH, string valueLabel) =>
        Max(gridH, MinBarHeight, s.TextWidth(valueLabel, TextRole.AxisTitle) + 8);

    static float BarBlockWidth(SvgSurface s, ColorMapping m, string valueLabel) =>
        BarWidth + TickLength + 3 + m.Ticks.Max(t => s.TextWidth(LabelText.Tick(t), TextRole.Label)) + Gap + s.LineHeight(TextRole.AxisTitle);

    static void DrawColorBar(SvgSurface s, float x, float y, float h, ColorMapping m, string valueLabel)
    {
        s.ColorBar(x, y, BarWidth, h, m);
        s.StrokeRect(x, y, BarWidth, h, GridLine, 1);
        float labelX = x + BarWidth + TickLength + 3, widest = 0;
        foreach (float t in m.Ticks)
        {
            float ty = y + h - (t - m.Min) / (m.Max - m.Min) * h;
            s.FillRect(x + BarWidth, ty - 0.5f, TickLength, 1, Ink);
            string text = LabelText.Tick(t);
            s.Text(labelX, ty, text, TextRole.Label, TextAnchor.Start, Ink);
            widest = Math.Max(widest, s.TextWidth(text, TextRole.Label));
        }
        s.TextUp(labelX + widest + Gap + s.LineHeight(TextRole.AxisTitle) / 2, y + h / 2, valueLabel, TextRole.AxisTitle, TextAnchor.Middle, Ink);
    }

    // ---------------------------------------------------------------- legend

    // Standard IOI order first, then any other tags alphabetically; "NaN" last when present.
    static List<string> LegendItems(IReadOnlyList<Heatmap> maps)
    {
        var items = HeadClass.Ordered(maps.Where(m => m.Marks is not null).SelectMany(m => m.Marks!.Values)).ToList();
        if (maps.Any(m => m.Values.Cast<float>().Any(float.IsNaN))) items.Add(NanItem);
        return items;
    }

    const string NanItem = "\0NaN";

    static float LegendBox(SvgSurface s, string item) =>
        (item == NanItem ? s.LineHeight(TextRole.Legend) : s.TextWidth(item, TextRole.CellText)) + 8;

    static string LegendText(string item) => item == NanItem ? "NaN (no value)" : HeadClass.Describe(item);

    static List<List<string>> LayoutLegend(SvgSurface s, List<string> items, float limit, out float widest)
    {
        var lines = new List<List<string>>();
        float x = 0;
        widest = 0;
        foreach (var item in items)
        {
            float w = LegendBox(s, item) + 5 + s.TextWidth(LegendText(item), TextRole.Legend) + 18;
            if (lines.Count == 0 || (x + w > limit && x > 0)) { lines.Add([]); x = 0; }
            lines[^1].Add(item);
            x += w;
            widest = Math.Max(widest, x);
        }
        return lines;
    }

    static void DrawLegend(SvgSurface s, List<List<string>> lines, float x0, float y0)
    {
        float lh = s.LineHeight(TextRole.Legend) + 4;
        for (int l = 0; l < lines.Count; l++)
        {
            float x = x0, mid = y0 + l * lh + lh / 2;
            foreach (var item in lines[l])
            {
                float box = LegendBox(s, item), bh = s.LineHeight(TextRole.Legend);
                if (item == NanItem) s.Hatch(x, mid - bh / 2, box, bh);
                else s.Text(x + box / 2, mid, item, TextRole.CellText, TextAnchor.Middle, Ink);
                s.StrokeRect(x, mid - bh / 2, box, bh, MarkLine, 1.5f);
                x += box + 5;
                string text = LegendText(item);
                s.Text(x, mid, text, TextRole.Legend, TextAnchor.Start, Ink);
                x += s.TextWidth(text, TextRole.Legend) + 18;
            }
        }
    }

    // ---------------------------------------------------------------- one panel

    sealed class Panel
    {
        Heatmap map = null!;
        ColorMapping colors = null!;
        string[] rowText = [], colText = [];
        int rowStride, colStride;
        bool colVertical, showRows, showTitle, ownBar, annotate;
        float cellW, cellH, rowLabelW, colLabelH, barH;
        public float GridX, GridY, GridH, Width, Height;

        public static Panel Measure(SvgSurface s, Heatmap map, ColorMapping colors, float baseCell, bool showRows, bool showTitle, bool ownBar)
        {
            var p = new Panel { map = map, colors = colors, showRows = showRows, showTitle = showTitle, ownBar = ownBar };
            int rows = map.Rows, cols = map.Columns;
            float cell = Math.Clamp(MaxGridExtent / Math.Max(rows, cols), MinCell, baseCell);
            // Up to 100 positions, keep every token label: a cell at least one text line high.
            if (Math.Max(rows, cols) <= 100) cell = Math.Min(Math.Max(cell, s.LineHeight(TextRole.Label)), Math.Max(baseCell, cell));
            // Maps with few rows get larger (then taller) cells so the grid is as tall as its colour bar.
            float barH = BarHeight(s, 0, map.ValueLabel);
            cell = Math.Max(cell, Math.Min(MaxCell, barH / rows));
            p.cellW = cell;
            p.cellH = Math.Max(cell, barH / rows);
            p.annotate = map.Annotate && rows <= MaxAnnotatedSide && cols <= MaxAnnotatedSide;
            float cellLine = s.LineHeight(TextRole.CellText);
            if (p.annotate)
            {
                float widest = map.Values.Cast<float>().Max(v => s.TextWidth(LabelText.CellValue(v), TextRole.CellText));
                p.cellW = Math.Max(p.cellW, widest + 8);
                p.cellH = Math.Max(p.cellH, cellLine + 4);
            }
            if (map.Marks is { Count: > 0 } && cell >= baseCell)
            {
                p.cellW = Math.Max(p.cellW, map.Marks.Values.Max(t => s.TextWidth(t, TextRole.CellText)) + 6);
                if (p.annotate) p.cellH = Math.Max(p.cellH, 2 * cellLine + 2);
            }

            float line = s.LineHeight(TextRole.Label), axisLine = s.LineHeight(TextRole.AxisTitle);
            p.rowText = map.RowLabels.Select(l => LabelText.Token(l)).ToArray();
            p.colText = map.ColumnLabels.Select(l => LabelText.Token(l)).ToArray();
            p.rowLabelW = p.rowText.Max(t => s.TextWidth(t, TextRole.Label));
            p.rowStride = (int)MathF.Ceiling(line / p.cellH);
            float colMax = p.colText.Max(t => s.TextWidth(t, TextRole.Label));
            bool numeric = map.ColumnLabels.All(l => int.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
            if (colMax + 4 <= p.cellW || numeric)
            {
                p.colStride = (int)MathF.Ceiling((colMax + 3) / p.cellW);
                p.colLabelH = line;
            }
            else
            {
                p.colVertical = true;
                p.colStride = (int)MathF.Ceiling(line / p.cellW);
                p.colLabelH = colMax;
            }

            float gridW = cols * p.cellW;
            p.GridH = rows * p.cellH;
            p.GridX = showRows ? axisLine + Gap + p.rowLabelW + Gap : 0;
            p.GridY = showTitle ? s.LineHeight(TextRole.PanelTitle) + Gap : 0;
            p.Width = p.GridX + gridW;
            if (!p.colVertical) p.Width += Math.Max(0, colMax / 2 - p.cellW / 2);   // last label may overhang
            if (showTitle) p.Width = Math.Max(p.Width, p.GridX + s.TextWidth(map.Title, TextRole.PanelTitle));
            p.Width = Math.Max(p.Width, p.GridX + gridW / 2 + s.TextWidth(map.ColumnAxisTitle, TextRole.AxisTitle) / 2);
            p.Height = p.GridY + p.GridH + Gap / 2 + p.colLabelH + Gap + axisLine;
            if (ownBar)
            {
                p.barH = BarHeight(s, p.GridH, map.ValueLabel);
                p.Width += BarGap + BarBlockWidth(s, colors, map.ValueLabel);
                p.Height = Math.Max(p.Height, p.GridY + p.barH + Gap);
            }
            return p;
        }

        public void Draw(SvgSurface s, float x0, float y0)
        {
            float gx = x0 + GridX, gy = y0 + GridY, gridW = map.Columns * cellW;
            if (showTitle)
            {
                float tw = s.TextWidth(map.Title, TextRole.PanelTitle);
                float mid = y0 + s.LineHeight(TextRole.PanelTitle) / 2;
                if (tw <= gridW) s.Text(gx + gridW / 2, mid, map.Title, TextRole.PanelTitle, TextAnchor.Middle, Ink);
                else s.Text(gx, mid, map.Title, TextRole.PanelTitle, TextAnchor.Start, Ink);
            }

            for (int r = 0; r < map.Rows; r++)
                for (int c = 0; c < map.Columns; c++)
                {
                    float v = map.Values[r, c];
                    float x = gx + c * cellW, y = gy + r * cellH;
                    (int, int)? head = map.CellsAreHeads ? (r, c) : null;
                    if (float.IsNaN(v)) s.MissingCell(x, y, cellW, cellH, Hover(r, c, v), head);
                    else s.Cell(x, y, cellW, cellH, colors.ColorOf(v), Hover(r, c, v), head);
                }
            s.StrokeRect(gx, gy, gridW, GridH, GridLine, 1);

            for (int r = 0; r < map.Rows; r++)
                for (int c = 0; c < map.Columns; c++)
                    DrawCellText(s, r, c, gx + c * cellW, gy + r * cellH);

            float line = s.LineHeight(TextRole.Label), axisLine = s.LineHeight(TextRole.AxisTitle);
            if (showRows)
            {
                for (int r = 0; r < map.Rows; r += rowStride)
                    s.Text(gx - Gap, gy + (r + 0.5f) * cellH, rowText[r], TextRole.Label, TextAnchor.End, Ink);
                s.TextUp(x0 + axisLine / 2, gy + GridH / 2, map.RowAxisTitle, TextRole.AxisTitle, TextAnchor.Middle, Ink);
            }
            float labelTop = gy + GridH + Gap / 2;
            for (int c = 0; c < map.Columns; c += colStride)
            {
                float cx = gx + (c + 0.5f) * cellW;
                if (colVertical) s.TextUp(cx, labelTop, colText[c], TextRole.Label, TextAnchor.End, Ink);
                else s.Text(cx, labelTop + line / 2, colText[c], TextRole.Label, TextAnchor.Middle, Ink);
            }
            float axisMid = labelTop + colLabelH + Gap + axisLine / 2;
            float axisX = Math.Max(gx + gridW / 2, x0 + s.TextWidth(map.ColumnAxisTitle, TextRole.AxisTitle) / 2);
            s.Text(axisX, axisMid, map.ColumnAxisTitle, TextRole.AxisTitle, TextAnchor.Middle, Ink);

            if (ownBar) DrawColorBar(s, gx + gridW + BarGap, gy, barH, colors, map.ValueLabel);
        }

        void DrawCellText(SvgSurface s, int r, int c, float x, float y)
        {
            string? tag = null;
            map.Marks?.TryGetValue((r, c), out tag);
            if (tag is null && !annotate) return;
            float v = map.Values[r, c];
            var ink = float.IsNaN(v) ? Ink : colors.ColorOf(v).ContrastingText;
            if (tag is not null)
            {
                s.StrokeRect(x, y, cellW, cellH, MarkLine, 2);
                if (s.TextWidth(tag, TextRole.CellText) <= cellW - 4)
                    s.Text(x + cellW / 2, y + (annotate ? cellH * 0.3f : cellH / 2), tag, TextRole.CellText, TextAnchor.Middle, ink);
            }
            if (annotate)
                s.Text(x + cellW / 2, y + (tag is not null ? cellH * 0.72f : cellH / 2), LabelText.CellValue(v), TextRole.CellText, TextAnchor.Middle, ink);
        }

        // "layer 9, head 9: 0.213" or "layer 3, position 5 (·John): -0.041 [NM name mover]"
        string Hover(int r, int c, float v)
        {
            string text = $"{map.RowAxisTitle} {Describe(r, map.RowLabels[r])}, {map.ColumnAxisTitle} {Describe(c, map.ColumnLabels[c])}: {LabelText.Value(v)}";
            if (map.Marks is not null && map.Marks.TryGetValue((r, c), out var tag)) text += $" [{tag} {HeadClass.Describe(tag)}]";
            return text;
        }

        static string Describe(int index, string label)
        {
            string i = index.ToString(CultureInfo.InvariantCulture);
            return label == i ? i : $"{i} ({LabelText.Token(label, 40)})";
        }
    }
}
