// A line plot to draw: named series of (x, y) points, axis titles, and optionally categorical x
// tick labels (label i at x = i), e.g. a probability by year or a loss by position with the prompt's
// tokens. This is data only; LinePlotPng and LinePlotSvg draw it (through ScottPlot).
namespace CircuitLens.Reports;

/// <summary>One line; X defaults to 0..n-1 (the categorical positions). NaN points leave a gap.</summary>
public sealed record LineSeries(string Name, double[] Y)
{
    public double[]? X { get; init; }
}

public sealed record LinePlot(string Title, string XLabel, string YLabel, IReadOnlyList<LineSeries> Series)
{
    /// <summary>Second title line, e.g. "gpt2 · 100 prompts".</summary>
    public string? Subtitle { get; init; }
    /// <summary>Categorical x axis: label i is printed at x = i (thinned or turned upright when they would overlap).</summary>
    public string[]? XTickLabels { get; init; }
    /// <summary>Fixed y range; default fits the data.</summary>
    public double? YMin { get; init; }
    public double? YMax { get; init; }
    /// <summary>Dashed horizontal reference lines, e.g. 0 or chance level.</summary>
    public double[] HorizontalLines { get; init; } = [];
    /// <summary>Mark each point (useful for few points); lines only when false.</summary>
    public bool Markers { get; init; } = true;

    /// <summary>Throws when the plot cannot be drawn; called by every renderer.</summary>
    internal void Validate()
    {
        if (Series is null || Series.Count == 0) throw new CircuitLensException($"line plot '{Title}' has no series");
        foreach (var s in Series)
        {
            if (s.Y is null || s.Y.Length == 0) throw new CircuitLensException($"line plot '{Title}': series '{s.Name}' has no points");
            if (s.X is not null && s.X.Length != s.Y.Length)
                throw new CircuitLensException($"line plot '{Title}': series '{s.Name}' has {s.X.Length} x values but {s.Y.Length} y values");
        }
        if (XTickLabels is not null && XTickLabels.Length == 0) throw new CircuitLensException($"line plot '{Title}': XTickLabels is empty");
        if (YMin is double lo && YMax is double hi && !(lo < hi)) throw new CircuitLensException($"line plot '{Title}': YMin {lo} is not below YMax {hi}");
    }
}
