// Short tags for the IOI circuit's head classes, their legend text, and the 26 heads the IOI paper
// (Wang et al. 2022) assigns to them in GPT-2 small, ready to pass as Heatmap.Marks.
namespace CircuitLens.Reports;

public static class HeadClass
{
    public const string NameMover = "NM", BackupNameMover = "BNM", NegativeNameMover = "NNM",
        SInhibition = "SI", Induction = "IND", DuplicateToken = "DT", PreviousToken = "PT";

    static readonly Dictionary<string, string> Names = new()
    {
        [NameMover] = "name mover", [BackupNameMover] = "backup name mover", [NegativeNameMover] = "negative name mover",
        [SInhibition] = "S-inhibition", [Induction] = "induction", [DuplicateToken] = "duplicate token", [PreviousToken] = "previous token",
    };

    /// <summary>Legend text for a tag ("NM" → "name mover"); unknown tags describe themselves.</summary>
    public static string Describe(string tag) => Names.TryGetValue(tag, out var name) ? name : tag;

    /// <summary>Tags in the standard IOI order (name movers first), then any others alphabetically.</summary>
    public static IEnumerable<string> Ordered(IEnumerable<string> tags)
    {
        string[] order = [NameMover, BackupNameMover, NegativeNameMover, SInhibition, Induction, DuplicateToken, PreviousToken];
        return tags.Distinct().OrderBy(t => Array.IndexOf(order, t) is var k && k >= 0 ? k : order.Length).ThenBy(t => t, StringComparer.Ordinal);
    }

    /// <summary>The IOI paper's head classes for GPT-2 small as (layer, head) → tag.</summary>
    public static IReadOnlyDictionary<(int Row, int Col), string> IoiPaperHeads { get; } = Build(
        (NameMover, [(9, 9), (10, 0), (9, 6)]),
        (BackupNameMover, [(10, 10), (10, 6), (10, 2), (10, 1), (11, 2), (9, 7), (9, 0), (11, 9)]),
        (NegativeNameMover, [(10, 7), (11, 10)]),
        (SInhibition, [(7, 3), (7, 9), (8, 6), (8, 10)]),
        (Induction, [(5, 5), (5, 8), (5, 9), (6, 9)]),
        (DuplicateToken, [(0, 1), (0, 10), (3, 0)]),
        (PreviousToken, [(2, 2), (4, 11)]));

    static Dictionary<(int, int), string> Build(params (string Tag, (int, int)[] Heads)[] groups)
    {
        var d = new Dictionary<(int, int), string>();
        foreach (var (tag, heads) in groups) foreach (var h in heads) d[h] = tag;
        return d;
    }
}
