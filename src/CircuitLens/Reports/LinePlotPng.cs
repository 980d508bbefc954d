// Public entry point for PNG line plots (ScottPlot). scale multiplies every length; 2 is the default.
namespace CircuitLens.Reports;

public static class LinePlotPng
{
    public static byte[] Render(LinePlot plot, int scale = 2) => FigureCanvas.Png(LinePlotFigure.Spec(plot), scale);
}
