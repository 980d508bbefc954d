// The rows of one pair file (or of a generator's output) and the one metric they share: a second
// metric is an error naming the row. Tokenize turns the rows into model inputs.
using CircuitLens.Model;

namespace CircuitLens.Tasks.Pairs;

public sealed class PairSet
{
    /// <summary>Where the rows came from (a path, or a name such as "pairs"), used in error messages.</summary>
    public string Source { get; }
    public IReadOnlyList<PairRow> Rows { get; }
    /// <summary>The metric every row uses.</summary>
    public string Metric { get; }
    public int Count => Rows.Count;

    public PairSet(string source, IReadOnlyList<PairRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new CircuitLensException($"{source}: no pairs (the dataset is empty)");
        Source = source; Rows = rows; Metric = rows[0].Metric;
        for (int i = 1; i < rows.Count; i++)
            if (rows[i].Metric != Metric)
                throw new CircuitLensException($"{Where(i)}: metric \"{rows[i].Metric}\" differs from \"{Metric}\" of {Where(0)} (a pair file uses one metric)");
    }

    /// <summary>"source:line" of row i (or "source: row i+1" for rows built in code).</summary>
    public string Where(int row) => Rows[row].Line > 0 ? $"{Source}:{Rows[row].Line}" : $"{Source}: row {row + 1}";

    /// <summary>Token ids of every prompt (BOS prepended when asked) and the metric's targets; errors name the row and word.</summary>
    public TokenizedPairs Tokenize(HookedTransformer model, bool prependBos) => new(this, model, prependBos);

    /// <summary>The rows i in <paramref name="keep"/>, as a set from the same source.</summary>
    public PairSet Subset(IEnumerable<int> keep) => new(Source, keep.Select(i => Rows[i]).ToList());
}
