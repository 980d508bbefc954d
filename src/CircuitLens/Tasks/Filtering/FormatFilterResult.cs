// The outcome of filtering many rows: accepted pairs in input order, rejections, and counts per reason code.
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tasks.Filtering;

public sealed class FormatFilterResult
{
    public FormatFilterResult(IReadOnlyList<IoiPair> accepted, IReadOnlyList<FormatRejection> rejected)
    {
        Accepted = accepted;
        Rejected = rejected;
        CountsByReason = CountReasons(rejected);
    }

    public IReadOnlyList<IoiPair> Accepted { get; }
    public IReadOnlyList<FormatRejection> Rejected { get; }
    /// <summary>Number of rejections per reason code, only for codes that occurred, in the filter's check order.</summary>
    public IReadOnlyDictionary<string, int> CountsByReason { get; }
    public int Total => Accepted.Count + Rejected.Count;

    internal static IReadOnlyDictionary<string, int> CountReasons(IEnumerable<FormatRejection> rejected)
    {
        var counts = rejected.GroupBy(r => r.Reason).ToDictionary(g => g.Key, g => g.Count());
        // Stable order (check order, unknown codes last) so reports diff cleanly between runs.
        var ordered = new Dictionary<string, int>();
        foreach (var code in FormatRejectReason.All)
            if (counts.TryGetValue(code, out int n)) ordered[code] = n;
        foreach (var (code, n) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            ordered.TryAdd(code, n);
        return ordered;
    }
}
