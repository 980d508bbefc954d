// What path patching measures its senders against: the logits (the final residual stream) or a set of
// receiver heads' inputs, written "9.9:q,9.6:q,10.0:k" (each head with the input it reads: q, k or v).
using CircuitLens.Hooks;

namespace CircuitLens.Circuits;

/// <summary>One receiver: head <see cref="Head"/>'s query, key or value input (<see cref="Input"/> is Q, K or V).</summary>
public readonly record struct ReceiverInput(HeadId Head, HookPoint Input)
{
    public override string ToString() => $"{Head}:{Input.ToString().ToLowerInvariant()}";
}

public sealed class PathReceivers
{
    /// <summary>Empty when the receiver is the logits.</summary>
    public IReadOnlyList<ReceiverInput> Heads { get; }
    public bool IsLogits => Heads.Count == 0;

    private PathReceivers(IReadOnlyList<ReceiverInput> heads) => Heads = heads;

    public static PathReceivers Logits { get; } = new([]);

    public static PathReceivers ForHeads(IReadOnlyList<ReceiverInput> heads) =>
        heads.Count == 0 ? throw new CircuitLensException("no receiver heads given") : new(heads.Distinct().ToList());

    /// <summary>The earliest layer a receiver reads from; senders must sit strictly below it (the logits: after the last layer).</summary>
    public int EarliestLayer(int nLayers) => IsLogits ? nLayers : Heads.Min(r => r.Head.Layer);

    /// <summary>The layers holding receivers, ascending.</summary>
    public IReadOnlyList<int> Layers => Heads.Select(r => r.Head.Layer).Distinct().Order().ToList();

    /// <summary>"logits" or "L.H:q|k|v,…".</summary>
    public static PathReceivers Parse(string text, int nLayers, int nHeads)
    {
        text = text.Trim();
        if (text.Equals("logits", StringComparison.OrdinalIgnoreCase)) return Logits;
        var heads = new List<ReceiverInput>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = item.IndexOf(':');
            if (colon < 0) throw new CircuitLensException($"receiver '{item}' needs its input: LAYER.HEAD:q, :k or :v (e.g. 9.9:q), or use 'logits'");
            var input = item[(colon + 1)..].Trim().ToLowerInvariant() switch
            {
                "q" => HookPoint.Q,
                "k" => HookPoint.K,
                "v" => HookPoint.V,
                var other => throw new CircuitLensException($"receiver '{item}': input '{other}' is not q, k or v"),
            };
            HeadId head;
            try { head = HeadId.Parse(item[..colon], nLayers, nHeads); }
            catch (CircuitLensException e) { throw new CircuitLensException($"receiver '{item}': {e.Message}", e); }
            heads.Add(new ReceiverInput(head, input));
        }
        return ForHeads(heads);
    }

    public override string ToString() => IsLogits ? "logits" : string.Join(",", Heads);
}
