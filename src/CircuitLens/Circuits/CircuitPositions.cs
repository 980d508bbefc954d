// Which positions a circuit head is kept at: "all", or a list of positions, each an index among the
// prompt's real tokens (negative counts from the end: -1 = the last) or an IOI role resolved per prompt
// from its answer (IO) and wrong (S) tokens: "end" (last token), "io" (first IO), "s1", "s1+1", "s2".
using System.Globalization;
using System.Text.Json;

namespace CircuitLens.Circuits;

public sealed class CircuitPositions
{
    private readonly string[]? _items;   // null = all

    private CircuitPositions(string[]? items) => _items = items;

    public static CircuitPositions All { get; } = new(null);
    public bool IsAll => _items is null;

    public static CircuitPositions Parse(JsonElement? element, string where)
    {
        if (element is null) return All;
        var e = element.Value;
        if (e.ValueKind == JsonValueKind.String)
            return e.GetString()!.Trim().Equals("all", StringComparison.OrdinalIgnoreCase) ? All : FromItems([e.GetString()!], where);
        if (e.ValueKind == JsonValueKind.Array)
            return FromItems(e.EnumerateArray().Select(x => x.ValueKind switch
            {
                JsonValueKind.Number => x.TryGetInt32(out int n) ? n.ToString(CultureInfo.InvariantCulture)
                    : throw new CircuitLensException($"{where}: position {x.GetRawText()} is not a whole number"),
                JsonValueKind.String => x.GetString()!,
                _ => throw new CircuitLensException($"{where}: a position must be a number or a role name"),
            }).ToArray(), where);
        throw new CircuitLensException($"{where}: \"positions\" must be \"all\" or a list (numbers or end, io, s1, s1+1, s2)");
    }

    private static CircuitPositions FromItems(string[] items, string where)
    {
        foreach (var raw in items)
        {
            string item = raw.Trim().ToLowerInvariant();
            if (item is not ("end" or "io" or "s1" or "s1+1" or "s2") && !int.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                throw new CircuitLensException($"{where}: unknown position '{raw}' (use a number, or end, io, s1, s1+1, s2)");
        }
        return new([.. items.Select(i => i.Trim().ToLowerInvariant())]);
    }

    /// <summary>Per real position of <paramref name="ids"/>: kept or not. IOI roles need the answer (IO) and wrong (S) ids.</summary>
    public bool[] Resolve(ReadOnlySpan<int> ids, int answerId, int wrongId, string where)
    {
        var keep = new bool[ids.Length];
        if (_items is null) { Array.Fill(keep, true); return keep; }
        foreach (var item in _items)
        {
            int p = item switch
            {
                "end" => ids.Length - 1,
                "io" => Occurrence(ids, answerId, 0, "IO", where),
                "s1" => Occurrence(ids, wrongId, 0, "S", where),
                "s1+1" => Occurrence(ids, wrongId, 0, "S", where) + 1,
                "s2" => Occurrence(ids, wrongId, 1, "S", where),
                _ => int.Parse(item, CultureInfo.InvariantCulture) is int n && n < 0 ? ids.Length + n : int.Parse(item, CultureInfo.InvariantCulture),
            };
            if ((uint)p >= (uint)ids.Length) throw new CircuitLensException($"{where}: position '{item}' is outside the prompt's {ids.Length} tokens");
            keep[p] = true;
        }
        return keep;
    }

    private static int Occurrence(ReadOnlySpan<int> ids, int token, int which, string role, string where)
    {
        if (token < 0) throw new CircuitLensException($"{where}: IOI positions (io, s1, s1+1, s2) need logit-diff pairs (answer = IO, wrong = S)");
        for (int i = 0, seen = 0; i < ids.Length; i++)
            if (ids[i] == token && seen++ == which) return i;
        throw new CircuitLensException($"{where}: the prompt has no {(which == 0 ? "first" : "second")} occurrence of the {role} token (needed by an IOI position)");
    }

    public override string ToString() => _items is null ? "all" : string.Join(",", _items);

    internal object ToJson() => _items is null ? "all" : _items.Select(i => int.TryParse(i, out int n) ? (object)n : i).ToArray();
}
