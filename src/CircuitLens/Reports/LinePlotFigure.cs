// Builds the ScottPlot plot of a LinePlot: one coloured line per series (ScottPlot's Category10
// palette), a legend right of the data when there is more than one series, dashed reference lines, categorical tick
// labels from the caller (thinned, or upright when they are wider than their slot), axis titles.
using ScottPlot;

namespace CircuitLens.Reports;

internal static class LinePlotFigure
{
    const float TickSize = 12, AxisTitleSize = 13, DataWidth = 640, DataHeight = 360;

    public static FigureSpec Spec(LinePlot lp)
    {
        lp.Validate();
        var plot = new Plot();
        foreach (var s in lp.Series)
        {
            double[] x = s.X ?? Enumerable.Range(0, s.Y.Length).Select(i => (double)i).ToArray();
            var line = plot.Add.Scatter(x, s.Y);
            line.LegendText = s.Name;
            line.LineWidth = 2;
            line.MarkerSize = lp.Markers ? 6 : 0;
        }
        foreach (double y in lp.HorizontalLines)
        {
            var h = plot.Add.HorizontalLine(y, 1, new Color(120, 120, 120), LinePattern.Dashed);
            h.LegendText = "";
        }
        // outside the data area (right of it), so it never hides a line
        if (lp.Series.Count > 1) plot.ShowLegend(Edge.Right);
        else plot.HideLegend();

        plot.XLabel(lp.XLabel, AxisTitleSize);
        plot.YLabel(lp.YLabel, AxisTitleSize);
        plot.Axes.Bottom.Label.Bold = false;
        plot.Axes.Left.Label.Bold = false;
        plot.Axes.Bottom.TickLabelStyle.FontSize = TickSize;
        plot.Axes.Left.TickLabelStyle.FontSize = TickSize;

        if (lp.XTickLabels is { } labels)
        {
            var text = labels.Select(l => LabelText.Token(l)).ToArray();
            float slot = DataWidth / Math.Max(1, labels.Length);
            float widest = text.Max(t => FigureCanvas.TextWidth(t, TickSize, false));
            bool upright = widest + 6 <= slot;
            int stride = HeatmapPlot.NiceStride((int)MathF.Ceiling((upright ? widest + 6 : TickSize * 1.3f) / slot));
            var idx = Enumerable.Range(0, labels.Length).Where(i => i % stride == 0).ToArray();
            var bottom = (ScottPlot.AxisPanels.AxisBase)plot.Axes.Bottom;
            bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(idx.Select(i => (double)i).ToArray(), idx.Select(i => text[i]).ToArray());
            if (!upright)
            {
                bottom.TickLabelStyle.Rotation = -90;
                bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
                bottom.MinimumSize = widest + 10 + AxisTitleSize * 1.6f + 8;
            }
            plot.Axes.SetLimitsX(-0.5, labels.Length - 0.5);
        }
        else plot.Axes.AutoScaleX();

        if (lp.YMin is not null || lp.YMax is not null)
        {
            plot.Axes.AutoScaleY();
            var limits = plot.Axes.GetLimits();
            plot.Axes.SetLimitsY(lp.YMin ?? limits.Bottom, lp.YMax ?? limits.Top);
        }
        FigureFonts.Apply(plot);
        return new FigureSpec(lp.Title, lp.Subtitle, [new FigurePanel(plot, DataWidth, DataHeight)], 1);
    }
}
