// The text forms of IOI options as they appear in JSONL rows and on the command line:
// patterns "BABA"/"ABBA"/"mixed", corruptions "s2-swap"/"abc". Parsing is case-insensitive.
namespace CircuitLens.Tasks.Ioi;

public static class IoiOptionText
{
    public static string Format(IoiPattern pattern) => pattern switch
    {
        IoiPattern.Baba => "BABA",
        IoiPattern.Abba => "ABBA",
        IoiPattern.Mixed => "mixed",
        _ => throw new ArgumentOutOfRangeException(nameof(pattern)),
    };

    public static string Format(IoiCorruption corruption) => corruption switch
    {
        IoiCorruption.S2Swap => "s2-swap",
        IoiCorruption.Abc => "abc",
        _ => throw new ArgumentOutOfRangeException(nameof(corruption)),
    };

    public static IoiPattern ParsePattern(string text) => text.ToLowerInvariant() switch
    {
        "baba" => IoiPattern.Baba,
        "abba" => IoiPattern.Abba,
        "mixed" => IoiPattern.Mixed,
        _ => throw new CircuitLensException($"unknown IOI pattern \"{text}\" (expected baba, abba or mixed)"),
    };

    public static IoiCorruption ParseCorruption(string text) => text.ToLowerInvariant() switch
    {
        "s2-swap" or "s2swap" => IoiCorruption.S2Swap,
        "abc" => IoiCorruption.Abc,
        _ => throw new CircuitLensException($"unknown IOI corruption \"{text}\" (expected s2-swap or abc)"),
    };
}
