// A circuit: the heads it keeps (each with a class label and the positions it is kept at) and, when
// the file lists "mlps", the MLP layers it keeps (absent = every MLP kept, as in the IOI paper).
// File format: {"name": "...", "heads": [{"head": "9.9", "class": "name mover", "positions": "all"}], "mlps": [8, 9]}.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CircuitLens.Circuits;

public sealed record CircuitHead(HeadId Head, string Class, CircuitPositions Positions);

public sealed class Circuit
{
    public string Name { get; }
    public IReadOnlyList<CircuitHead> Heads { get; }
    /// <summary>Kept MLP layers; null = every MLP is kept.</summary>
    public IReadOnlyList<int>? Mlps { get; }

    public Circuit(string name, IReadOnlyList<CircuitHead> heads, IReadOnlyList<int>? mlps = null)
    {
        var dup = heads.GroupBy(h => h.Head).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new CircuitLensException($"circuit '{name}': head {dup.Key} is listed twice");
        Name = name; Heads = heads; Mlps = mlps?.Distinct().Order().ToList();
    }

    public IEnumerable<string> Classes => Heads.Select(h => h.Class).Distinct();

    public bool Contains(HeadId head) => Heads.Any(h => h.Head == head);

    /// <summary>Every head at every position, every MLP: ablating nothing.</summary>
    public static Circuit Full(int nLayers, int nHeads) =>
        new("full model", [.. from l in Enumerable.Range(0, nLayers) from h in Enumerable.Range(0, nHeads) select new CircuitHead(new HeadId(l, h), "model", CircuitPositions.All)]);

    public static Circuit Empty(int nLayers) => new("empty", [], []);

    /// <summary>This circuit without the heads in <paramref name="removed"/> (C∖K).</summary>
    public Circuit Without(IEnumerable<HeadId> removed)
    {
        var set = removed.ToHashSet();
        return new Circuit($"{Name} ∖ K", Heads.Where(h => !set.Contains(h.Head)).ToList(), Mlps);
    }

    public static Circuit Parse(string json, string where, int nLayers, int nHeads)
    {
        JsonElement root;
        try { using var doc = JsonDocument.Parse(json); root = doc.RootElement.Clone(); }
        catch (JsonException e) { throw new CircuitLensException($"{where}: malformed JSON ({e.Message.Split('\n')[0]})", e); }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("heads", out var heads) || heads.ValueKind != JsonValueKind.Array)
            throw new CircuitLensException($"{where}: a circuit file is an object with a \"heads\" list");
        var list = new List<CircuitHead>();
        int i = 0;
        foreach (var h in heads.EnumerateArray())
        {
            string at = $"{where}: heads[{i++}]";
            if (h.ValueKind != JsonValueKind.Object || !h.TryGetProperty("head", out var id) || id.ValueKind != JsonValueKind.String)
                throw new CircuitLensException($"{at}: needs \"head\": \"LAYER.HEAD\"");
            string cls = "circuit";
            if (h.TryGetProperty("class", out var c))
                cls = c.ValueKind == JsonValueKind.String ? c.GetString()! : throw new CircuitLensException($"{at}: \"class\" must be a string (a head class such as \"name mover\")");
            JsonElement? pos = h.TryGetProperty("positions", out var p) ? p : null;
            HeadId head;
            try { head = HeadId.Parse(id.GetString()!, nLayers, nHeads); }
            catch (CircuitLensException e) { throw new CircuitLensException($"{at}: {e.Message}", e); }
            if (list.Any(x => x.Head == head)) throw new CircuitLensException($"{at}: head {head} is listed twice");
            list.Add(new CircuitHead(head, cls, CircuitPositions.Parse(pos, at)));
        }
        List<int>? mlps = null;
        if (root.TryGetProperty("mlps", out var m))
        {
            if (m.ValueKind != JsonValueKind.Array) throw new CircuitLensException($"{where}: \"mlps\" must be a list of layers");
            mlps = [];
            foreach (var x in m.EnumerateArray())
            {
                int layer = x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int xl) ? xl
                    : x.ValueKind == JsonValueKind.Object && x.TryGetProperty("layer", out var ly) && ly.ValueKind == JsonValueKind.Number && ly.TryGetInt32(out int yl) ? yl
                    : throw new CircuitLensException($"{where}: each entry of \"mlps\" is a layer number or {{\"layer\": N}}");
                if ((uint)layer >= (uint)nLayers) throw new CircuitLensException($"{where}: MLP layer {layer} does not exist (the model has {nLayers} layers)");
                mlps.Add(layer);
            }
        }
        string name = Path.GetFileNameWithoutExtension(where);
        if (root.TryGetProperty("name", out var n))
            name = n.ValueKind == JsonValueKind.String ? n.GetString()! : throw new CircuitLensException($"{where}: \"name\" must be a string");
        return new Circuit(name, list, mlps);
    }

    /// <summary>A built-in name (see <see cref="BuiltinCircuits"/>) or a JSON file path.</summary>
    public static Circuit Load(string nameOrPath, int nLayers, int nHeads)
    {
        if (BuiltinCircuits.TryGet(nameOrPath, out var json)) return Parse(json, nameOrPath, nLayers, nHeads);
        if (!File.Exists(nameOrPath))
            throw new CircuitLensException($"circuit '{nameOrPath}' is neither a file nor a built-in ({string.Join(", ", BuiltinCircuits.Names)})");
        string text;
        try { text = File.ReadAllText(nameOrPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CircuitLensException($"circuit '{nameOrPath}': cannot read ({e.Message})", e); }
        return Parse(text, nameOrPath, nLayers, nHeads);
    }

    public string ToJson()
    {
        var heads = new JsonArray();
        foreach (var h in Heads)
            heads.Add(new JsonObject { ["head"] = h.Head.ToString(), ["class"] = h.Class, ["positions"] = JsonSerializer.SerializeToNode(h.Positions.ToJson()) });
        var root = new JsonObject { ["name"] = Name, ["heads"] = heads };
        if (Mlps is not null) root["mlps"] = new JsonArray([.. Mlps.Select(m => (JsonNode)m)]);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
