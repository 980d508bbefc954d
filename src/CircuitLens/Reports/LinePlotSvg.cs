// Public entry point for SVG line plots (ScottPlot), the same picture as LinePlotPng in vector form.
namespace CircuitLens.Reports;

public static class LinePlotSvg
{
    public static string Render(LinePlot plot) => FigureCanvas.Svg(LinePlotFigure.Spec(plot));
}
