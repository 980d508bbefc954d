// A head named the way the IOI paper and TransformerLens users write it: "L.H" (layer 9, head 9 = "9.9").
using System.Globalization;

namespace CircuitLens.Circuits;

public readonly record struct HeadId(int Layer, int Head) : IComparable<HeadId>
{
    public override string ToString() => $"{Layer}.{Head}";

    public int CompareTo(HeadId other) => Layer != other.Layer ? Layer.CompareTo(other.Layer) : Head.CompareTo(other.Head);

    /// <summary>Parses "L.H" and checks it against the model's <paramref name="nLayers"/> × <paramref name="nHeads"/>.</summary>
    public static HeadId Parse(string text, int nLayers, int nHeads)
    {
        var parts = text.Trim().Split('.');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int l)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h))
            throw new CircuitLensException($"'{text}' is not a head: expected LAYER.HEAD, e.g. 9.9");
        if (l >= nLayers || h >= nHeads)
            throw new CircuitLensException($"head {text} does not exist in a model with {nLayers} layers and {nHeads} heads");
        return new HeadId(l, h);
    }
}
