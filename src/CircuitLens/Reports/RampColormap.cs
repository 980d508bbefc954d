// Hands our colour ramps (ColorRamp: ColorBrewer RdBu with blue = positive, BuPu) to ScottPlot, so
// its heatmaps and colour bars use exactly the colours the inline SVG of report.html uses.
using ScottPlot;

namespace CircuitLens.Reports;

internal sealed class RampColormap(ColorScale scale) : IColormap
{
    public string Name => scale == ColorScale.Diverging ? "RdBu (blue = positive)" : "BuPu";

    /// <summary>position 0..1 along the colour bar, bottom to top.</summary>
    public Color GetColor(double position)
    {
        double t = scale == ColorScale.Diverging ? 2 * position - 1 : position;
        return ToColor(ColorRamp.At(scale, double.IsNaN(t) ? 0 : t));
    }

    public static Color ToColor(Rgb c) => new(c.R, c.G, c.B);
}
