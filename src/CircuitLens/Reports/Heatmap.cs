// One 2-D map to draw: values with row/column labels and how to present them. Used for
// [layer, head] and [layer, pos] patching maps and [query_pos, key_pos] attention patterns.
// This is data only; HeatmapPng and HeatmapSvg draw it (ScottPlot), HtmlReport inlines it.
namespace CircuitLens.Reports;

public sealed record Heatmap(string Title, float[,] Values, string[] RowLabels, string[] ColumnLabels)
{
    public string RowAxisTitle { get; init; } = "layer";
    public string ColumnAxisTitle { get; init; } = "head";
    /// <summary>Second title line, e.g. "gpt2 · head-z · 87 pairs · BOS".</summary>
    public string? Subtitle { get; init; }
    public ColorScale Scale { get; init; } = ColorScale.Diverging;
    /// <summary>Colour-scale limit: the scale spans ±Limit (0..Limit sequential), wider only when a value exceeds it; default max |v| (diverging) or max v (sequential).</summary>
    public float? Limit { get; init; }
    public string ValueLabel { get; init; } = "normalised logit diff";
    /// <summary>Cells to outline with a short tag, e.g. (9, 9) → "NM". Tags are explained in a legend (see HeadClass).</summary>
    public IReadOnlyDictionary<(int Row, int Col), string>? Marks { get; init; }
    /// <summary>Print each value in its cell (only when the grid is small enough to read them).</summary>
    public bool Annotate { get; init; }

    /// <summary>When rows are too thin to label each, label every k-th row with k a multiple of this (e.g. the head count for "layer.head" rows, so each layer's first head is labelled); default: a round stride.</summary>
    public int? RowLabelStep { get; init; }

    /// <summary>Row r, column c is attention head c of layer r: report.html lets a reader click it to open its attention pattern.</summary>
    public bool CellsAreHeads { get; init; }

    public int Rows => Values.GetLength(0);
    public int Columns => Values.GetLength(1);

    /// <summary>Row labels "0".."n-1" (layers, heads, positions without tokens).</summary>
    public static string[] IndexLabels(int count) => Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>A [layer, head] patching map with numeric labels.</summary>
    public static Heatmap LayerHead(string title, float[,] values) =>
        new(title, values, IndexLabels(values.GetLength(0)), IndexLabels(values.GetLength(1))) { CellsAreHeads = true };

    /// <summary>A [layer, neuron] map (e.g. MLP neuron patching) with numeric labels.</summary>
    public static Heatmap LayerNeuron(string title, float[,] values) =>
        new(title, values, IndexLabels(values.GetLength(0)), IndexLabels(values.GetLength(1))) { ColumnAxisTitle = "neuron" };

    /// <summary>A [layer, pos] patching map whose columns are the prompt's tokens.</summary>
    public static Heatmap LayerPosition(string title, float[,] values, string[] tokens) =>
        new(title, values, IndexLabels(values.GetLength(0)), tokens) { ColumnAxisTitle = "position" };

    /// <summary>An attention pattern [query_pos, key_pos] on the sequential ramp, limits 0..1.</summary>
    public static Heatmap Attention(string title, float[,] pattern, string[] tokens) =>
        new(title, pattern, tokens, tokens)
        {
            RowAxisTitle = "query", ColumnAxisTitle = "key", Scale = ColorScale.Sequential, Limit = 1f, ValueLabel = "attention",
        };

    /// <summary>Throws when the labels do not match the value grid; called by every renderer.</summary>
    internal void Validate()
    {
        if (Values is null) throw new CircuitLensException($"heatmap '{Title}': Values is null");
        if (Rows == 0 || Columns == 0) throw new CircuitLensException($"heatmap '{Title}': Values is empty ({Rows}×{Columns})");
        if (RowLabels is null || RowLabels.Length != Rows)
            throw new CircuitLensException($"heatmap '{Title}': {RowLabels?.Length ?? 0} row labels but Values has {Rows} rows");
        if (ColumnLabels is null || ColumnLabels.Length != Columns)
            throw new CircuitLensException($"heatmap '{Title}': {ColumnLabels?.Length ?? 0} column labels but Values has {Columns} columns");
        if (Marks is not null)
            foreach (var ((r, c), _) in Marks)
                if ((uint)r >= (uint)Rows || (uint)c >= (uint)Columns)
                    throw new CircuitLensException($"heatmap '{Title}': mark at ({r}, {c}) is outside the {Rows}×{Columns} grid");
    }
}
