// One IOI template parsed into its four name slots ([B] S1, [A] IO, [B] S2, final [A]) and the
// literal text between them, so prompts can be filled for either name order and any corruption.
// It only builds strings; it knows nothing about tokens or random choices.
namespace CircuitLens.Tasks.Ioi;

public sealed class IoiTemplate
{
    private readonly string[] _literals; // text before slot 0, 1, 2 and 3 (the final [A])

    /// <summary>The template in BABA form, as given.</summary>
    public string Baba { get; }

    private IoiTemplate(string baba, string[] literals)
    {
        Baba = baba;
        _literals = literals;
    }

    /// <summary>
    /// Parses a BABA template: exactly the name slots [B], [A], [B], [A] in that order, each after a
    /// space, ending with the final [A]. [PLACE] and [OBJECT] may appear anywhere in the text.
    /// </summary>
    public static IoiTemplate Parse(string baba)
    {
        ArgumentNullException.ThrowIfNull(baba);
        string[] expected = ["[B]", "[A]", "[B]", "[A]"];
        var literals = new string[4];
        int at = 0;
        for (int slot = 0; slot < 4; slot++)
        {
            int a = baba.IndexOf("[A]", at, StringComparison.Ordinal), b = baba.IndexOf("[B]", at, StringComparison.Ordinal);
            int next = a < 0 ? b : b < 0 ? a : Math.Min(a, b);
            if (next < 0 || baba.AsSpan(next, 3).SequenceEqual(expected[slot]) is false)
                throw new CircuitLensException($"IOI template must have the name slots [B] [A] [B] [A] in that order: \"{baba}\"");
            if (next == 0 || baba[next - 1] != ' ' || (next >= 2 && char.IsWhiteSpace(baba[next - 2])))
                throw new CircuitLensException($"IOI template: every name slot must follow a single space (names are tokens like \" John\"): \"{baba}\"");
            literals[slot] = baba[at..(next - 1)]; // without the space that belongs to the name token
            at = next + 3;
        }
        if (at != baba.Length)
            throw new CircuitLensException($"IOI template must end with the final [A] (the predicted name): \"{baba}\"");
        return new IoiTemplate(baba, literals);
    }

    /// <summary>The template text in the given order: ABBA swaps the first [B] and [A].</summary>
    public string Text(IoiPattern pattern)
    {
        bool abba = IsAbba(pattern);
        return string.Concat(_literals[0], abba ? " [A]" : " [B]", _literals[1], abba ? " [B]" : " [A]", _literals[2], " [B]")
            + _literals[3] + " [A]";
    }

    /// <summary>
    /// The prompt up to (not including) the final name. <paramref name="io"/>, <paramref name="s1"/>
    /// and <paramref name="s2"/> fill the [A], first [B] and second [B] slots (clean: s1 == s2).
    /// </summary>
    public string Prompt(IoiPattern pattern, string io, string s1, string s2, string place, string obj)
    {
        bool abba = IsAbba(pattern);
        string text = string.Concat(_literals[0], " ", abba ? io : s1, _literals[1], " ", abba ? s1 : io, _literals[2])
            + " " + s2 + _literals[3];
        return text.Replace("[PLACE]", place, StringComparison.Ordinal).Replace("[OBJECT]", obj, StringComparison.Ordinal);
    }

    /// <summary>The clean prompt's text before name slot <paramref name="slot"/> (0..2), without the space of the name token.</summary>
    internal string PrefixBeforeSlot(int slot, IoiPattern pattern, string io, string s1, string place, string obj)
    {
        bool abba = IsAbba(pattern);
        string first = abba ? io : s1, second = abba ? s1 : io;
        string prefix = slot switch
        {
            0 => _literals[0],
            1 => string.Concat(_literals[0], " ", first, _literals[1]),
            2 => string.Concat(_literals[0], " ", first, _literals[1], " ", second, _literals[2]),
            _ => throw new ArgumentOutOfRangeException(nameof(slot)),
        };
        return prefix.Replace("[PLACE]", place, StringComparison.Ordinal).Replace("[OBJECT]", obj, StringComparison.Ordinal);
    }

    private static bool IsAbba(IoiPattern pattern) => pattern switch
    {
        IoiPattern.Baba => false,
        IoiPattern.Abba => true,
        _ => throw new ArgumentException("a single prompt is either BABA or ABBA", nameof(pattern)),
    };

    public override string ToString() => Baba;
}
