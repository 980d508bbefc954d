// The published circuits shipped with CircuitLens, for `--circuit NAME` (GPT-2 small):
//   ioi-paper    — Wang et al. (2022), 26 heads in 7 classes, kept at the positions the paper uses
//                  (name movers and S-inhibition at END, induction and duplicate-token at S2,
//                  previous-token at S1+1);
//   greater-than — Hanna et al. (2023), heads 5.1, 5.5, 6.9, 7.10, 8.8, 8.11, 9.1 and MLPs 8–11;
//   acronyms     — García-Carrasco et al. (2024), letter movers, fuzzy previous-token heads and 5.8.
namespace CircuitLens.Circuits;

public static class BuiltinCircuits
{
    private static readonly Dictionary<string, string> s_circuits = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ioi-paper"] = Build("ioi-paper", null,
            ("name mover", "end", ["9.9", "10.0", "9.6"]),
            ("backup name mover", "end", ["10.10", "10.6", "10.2", "10.1", "11.2", "9.7", "9.0", "11.9"]),
            ("negative name mover", "end", ["10.7", "11.10"]),
            ("s-inhibition", "end", ["7.3", "7.9", "8.6", "8.10"]),
            ("induction", "s2", ["5.5", "5.8", "5.9", "6.9"]),
            ("duplicate token", "s2", ["0.1", "0.10", "3.0"]),
            ("previous token", "s1+1", ["2.2", "4.11"])),
        ["greater-than"] = Build("greater-than", [8, 9, 10, 11],
            ("attention", "all", ["5.1", "5.5", "6.9", "7.10", "8.8", "8.11", "9.1"])),
        ["acronyms"] = Build("acronyms", null,
            ("letter mover", "all", ["8.11", "9.9", "10.10", "11.4"]),
            ("fuzzy previous token", "all", ["1.0", "2.2", "4.11"]),
            ("other", "all", ["5.8"])),
    };

    public static IReadOnlyCollection<string> Names => s_circuits.Keys;

    public static bool TryGet(string name, out string json) => s_circuits.TryGetValue(name, out json!);

    private static string Build(string name, int[]? mlps, params (string Class, string Positions, string[] Heads)[] classes)
    {
        var heads = string.Join(",\n", classes.SelectMany(c => c.Heads.Select(h =>
            $"    {{\"head\": \"{h}\", \"class\": \"{c.Class}\", \"positions\": {(c.Positions == "all" ? "\"all\"" : $"[\"{c.Positions}\"]")}}}")));
        string mlpPart = mlps is null ? "" : $",\n  \"mlps\": [{string.Join(", ", mlps)}]";
        return $"{{\n  \"name\": \"{name}\",\n  \"heads\": [\n{heads}\n  ]{mlpPart}\n}}";
    }
}
