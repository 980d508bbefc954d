// Builds the ScottPlot plot of one heatmap panel: cells (layer 0 at the top), the row and column
// labels as tick labels (rotated and thinned when they would overlap), axis titles, an optional panel
// title, outlined and tagged marks, values printed in small grids, and optionally the colour bar.
// Cell size is chosen here so 12×12 and 48×25 (gpt2-xl) maps both read well; FigureCanvas places it.
using System.Globalization;
using ScottPlot;

namespace CircuitLens.Reports;

internal static class HeatmapPlot
{
    const float TickSize = 12, AxisTitleSize = 13, PanelTitleSize = 14, CellTextSize = 10;
    const float BaseCell = 30, MinCell = 2, MaxCell = 60, MaxExtent = 900, MaxWidth = 1600, MinDataHeight = 160;
    const int MaxRectangleCells = 20000;
    const int MaxAnnotatedCells = 144;
    static readonly Color NaNColor = new(217, 217, 217), Ink = new(34, 34, 34);

    /// <summary>Size of one cell: 30 px for small maps, shrinking so the longer side stays near 900 px; never below the text height when labels must all show.</summary>
    public static (float W, float H) CellSize(Heatmap map, float baseCell = BaseCell)
    {
        float cell = Math.Clamp(MaxExtent / Math.Max(map.Rows, map.Columns), MinCell, baseCell);
        // Tiny maps (the test model's 3×4 heads, a 1-row map) get larger cells, and at least MinDataHeight
        // of height, so the colour bar beside them has room for its ticks and label.
        cell = Math.Max(cell, Math.Min(MaxCell, MinDataHeight / map.Rows));
        float w = cell, h = Math.Max(cell, MinDataHeight / map.Rows);
        // Far more rows than columns (heads × positions): widen the columns so every position's label fits.
        if (map.Columns <= 100 && w < TickSize * 1.4f) w = Math.Min(BaseCell, TickSize * 1.4f);
        // Thousands of columns ([layer, neuron]): narrower cells, down to a fraction of a pixel, within MaxWidth.
        if (map.Columns * w > MaxWidth) w = Math.Max(MaxWidth / map.Columns, 0.25f);
        if (map.Annotate && map.Rows * map.Columns <= MaxAnnotatedCells)
        {
            float widest = map.Values.Cast<float>().Max(v => FigureCanvas.TextWidth(LabelText.CellValue(v), CellTextSize, false));
            w = Math.Max(w, widest + 6);
        }
        return (w, h);
    }

    public static FigurePanel Panel(Heatmap map, ColorMapping colors, bool colorBar, bool rowLabels, bool panelTitle, float baseCell = BaseCell)
    {
        map.Validate();
        var (cw, ch) = CellSize(map, baseCell);
        int rows = map.Rows, cols = map.Columns;
        var plot = new Plot();
        plot.HideGrid();

        var values = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                float v = map.Values[r, c];
                values[r, c] = float.IsPositiveInfinity(v) ? colors.Max : float.IsNegativeInfinity(v) ? colors.Min : v;
            }
        var hm = plot.Add.Heatmap(values);
        hm.Colormap = new RampColormap(map.Scale);
        hm.ManualRange = new ScottPlot.Range(colors.Min, colors.Max);
        hm.CellAlignment = Alignment.LowerLeft;   // cell (r, c) spans x c..c+1 and y (rows-r-1)..(rows-r); ScottPlot's Rectangle drops 1-row maps
        hm.NaNCellColor = NaNColor;
        // One rectangle per cell keeps cells crisp in SVG; very large maps are one bitmap (an embedded image in SVG).
        if (rows * cols <= MaxRectangleCells) hm.RenderStrategy = new ScottPlot.Plottables.Heatmap.RenderStrategies.Rectangles();
        hm.Smooth = false;
        plot.Axes.SetLimits(0, cols, 0, rows);
        plot.Axes.Margins(0, 0);

        if (colorBar)
        {
            var bar = plot.Add.ColorBar(hm);
            bar.Label = map.ValueLabel;
            bar.LabelStyle.FontSize = AxisTitleSize;
            bar.LabelStyle.Bold = false;
            bar.Axis.TickLabelStyle.FontSize = TickSize;
            var ticks = ColorBarTicks(colors);
            bar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.Select(t => (double)t).ToArray(), LabelText.Ticks(ticks));
            bar.LabelStyle.FontName = FigureFonts.Name;
            bar.Axis.TickLabelStyle.FontName = FigureFonts.Name;
        }

        if (panelTitle)
        {
            plot.Title(map.Title, PanelTitleSize);
            plot.Axes.Title.Label.Bold = true;
        }

        // Rows: label r sits at the middle of row r, counted from the top.
        var left = plot.Axes.Left;
        var (rowIdx, rowText) = Thin(map.RowLabels.Select(l => LabelText.Token(l)).ToArray(), ch, TickSize + 1, map.RowLabelStep);
        left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(rowIdx.Select(r => rows - r - 0.5).ToArray(), rowText);
        left.TickLabelStyle.FontSize = TickSize;
        if (rowLabels) plot.YLabel(map.RowAxisTitle, AxisTitleSize);
        else left.TickLabelStyle.IsVisible = false;
        left.Label.Bold = false;

        var bottom = (ScottPlot.AxisPanels.AxisBase)plot.Axes.Bottom;
        var labels = map.ColumnLabels.Select(l => LabelText.Token(l)).ToArray();
        float widest = labels.Max(l => FigureCanvas.TextWidth(l, TickSize, false));
        bool numeric = map.ColumnLabels.All(l => int.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
        bool upright = numeric || widest + 4 <= cw;
        var (colIdx, colText) = Thin(labels, cw, upright ? widest + 3 : TickSize * 1.3f);
        bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(colIdx.Select(c => c + 0.5).ToArray(), colText);
        bottom.TickLabelStyle.FontSize = TickSize;
        if (!upright)
        {
            bottom.TickLabelStyle.Rotation = -90;
            bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            // ScottPlot sizes the axis for unrotated labels; make room for the rotated ones and the axis title.
            bottom.MinimumSize = widest + 10 + AxisTitleSize * 1.6f + 8;
        }
        plot.XLabel(map.ColumnAxisTitle, AxisTitleSize);
        bottom.LabelStyle.Bold = false;

        if (map.Marks is { Count: > 0 } marks)
            foreach (var ((r, c), tag) in marks)
            {
                var box = plot.Add.Rectangle(c, c + 1, rows - r - 1, rows - r);
                box.FillStyle.Color = Colors.Transparent;
                box.LineStyle.Color = Colors.Black;
                box.LineStyle.Width = 2;
                if (FigureCanvas.TextWidth(tag, CellTextSize - 1, true) <= cw - 2 && ch >= 14)
                    CellText(plot, tag, c + 0.5, rows - r - (map.Annotate ? 0.3 : 0.5), CellTextSize - 1, InkOn(colors, map.Values[r, c]), bold: true);
            }

        if (map.Annotate && rows * cols <= MaxAnnotatedCells && ch >= 14)
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                {
                    bool tagged = map.Marks?.ContainsKey((r, c)) == true;
                    CellText(plot, LabelText.CellValue(map.Values[r, c]), c + 0.5, rows - r - (tagged ? 0.72 : 0.5), CellTextSize, InkOn(colors, map.Values[r, c]), bold: false);
                }

        FigureFonts.Apply(plot);
        return new FigurePanel(plot, cols * cw, rows * ch);
    }

    /// <summary>Colour-bar ticks at round values inside the bar's range (−limit..limit diverging, 0..limit sequential): multiples of
    /// 1, 2, 2.5 or 5 × 10^k, as near five ticks as those allow (at most seven; the more of two as near), 0 among them. A limit of 1 gives −1, −0.5, 0, 0.5, 1.</summary>
    public static float[] ColorBarTicks(ColorMapping colors)
    {
        double hi = colors.Limit, lo = colors.Scale == ColorScale.Diverging ? -hi : 0;
        if (!(hi > 0) || !double.IsFinite(hi)) return [0];
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10((hi - lo) / 4)));
        double[] best = [];
        foreach (double m in (double[])[0.5, 1, 2, 2.5, 5, 10])
        {
            double step = m * magnitude;
            long first = (long)Math.Ceiling(lo / step - 1e-9), last = (long)Math.Floor(hi / step + 1e-9);
            var ticks = Enumerable.Range(0, (int)(last - first + 1)).Select(i => (first + i) * step).ToArray();
            int off = Math.Abs(ticks.Length - 5), bestOff = Math.Abs(best.Length - 5);
            if (ticks.Length <= 7 && (best.Length == 0 || off < bestOff || (off == bestOff && ticks.Length > best.Length))) best = ticks;
        }
        return best.Select(t => (float)t).ToArray();
    }

    /// <summary>The notes under a figure: what each mark tag means and what grey cells are.</summary>
    public static List<string> Notes(IReadOnlyList<Heatmap> maps)
    {
        var notes = new List<string>();
        var tags = maps.Where(m => m.Marks is not null).SelectMany(m => m.Marks!.Values).Distinct().ToList();
        if (tags.Count > 0)
            notes.Add("Outlined: " + string.Join(" · ", HeadClass.Ordered(tags).Select(t => $"{t} {HeadClass.Describe(t)}")));
        if (maps.Any(m => m.Values.Cast<float>().Any(float.IsNaN))) notes.Add("Grey cells: NaN (no value, e.g. a position past a shorter prompt's end)");
        return notes;
    }

    static void CellText(Plot plot, string text, double x, double y, float size, Color color, bool bold)
    {
        var t = plot.Add.Text(text, x, y);
        t.LabelStyle.Alignment = Alignment.MiddleCenter;
        t.LabelStyle.FontSize = size;
        t.LabelStyle.ForeColor = color;
        t.LabelStyle.Bold = bold;
        t.LabelStyle.FontName = FigureCanvas.FontName;
    }

    static Color InkOn(ColorMapping colors, float v) =>
        float.IsNaN(v) ? Ink : RampColormap.ToColor(colors.ColorOf(v).ContrastingText);

    /// <summary>The smallest of 1, 2, 5, 10, 20, 50, ... that is at least k, so thinned labels read 0, 5, 10, ...</summary>
    public static int NiceStride(int k)
    {
        for (int scale = 1; ; scale *= 10)
            foreach (int m in (int[])[1, 2, 5])
                if (m * scale >= k) return m * scale;
    }

    // Every k-th label so that labels at least `need` pixels tall (or wide) do not overlap.
    static (int[] Index, string[] Text) Thin(string[] labels, float cell, float need, int? step = null)
    {
        int k = (int)MathF.Ceiling(need / cell);
        int stride = k > 1 && step is > 1 ? (k + step.Value - 1) / step.Value * step.Value : NiceStride(k);
        var idx = Enumerable.Range(0, labels.Length).Where(i => i % stride == 0).ToArray();
        return (idx, idx.Select(i => labels[i]).ToArray());
    }
}
