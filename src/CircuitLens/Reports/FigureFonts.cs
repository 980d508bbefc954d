// The one font every figure uses, set on each text style a plot draws: title, axis titles, tick
// labels, legend. Not through ScottPlot's plot.Font.Set, which also sets the process-wide
// Fonts.DefaultFontStyle to the regular face and so turns every bold label of every later figure
// (figure titles, panel titles, mark tags) regular.
using ScottPlot;

namespace CircuitLens.Reports;

internal static class FigureFonts
{
    public const string Name = "DejaVu Sans";

    /// <summary>Sets <see cref="Name"/> on the plot's title, every axis's title and tick labels, and the legend; call it once the axes and colour bars are added.</summary>
    public static void Apply(Plot plot)
    {
        plot.Axes.Title.Label.FontName = Name;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontName = Name;
            axis.TickLabelStyle.FontName = Name;
        }
        plot.Legend.FontName = Name;
    }
}
