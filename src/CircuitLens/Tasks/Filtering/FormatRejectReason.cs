// The stable reason codes the format filter gives for a rejected IOI row, and a one-line description of each.
// The codes are part of the output format (rejects files, reports), so never rename or reuse one.
namespace CircuitLens.Tasks.Filtering;

public static class FormatRejectReason
{
    public const string MalformedJson = "malformed_json";
    public const string MissingField = "missing_field";
    public const string NotSingleLine = "not_single_line";
    public const string NotPrintable = "not_printable";
    public const string TrailingSpace = "trailing_space";
    public const string TrailingPunctuation = "trailing_punctuation";
    public const string InvalidName = "invalid_name";
    public const string NamesNotDistinct = "names_not_distinct";
    public const string TrailingAnswer = "trailing_answer";
    public const string SNotRepeated = "s_not_repeated";
    public const string IoNotOnce = "io_not_once";
    public const string NameOrder = "name_order";
    public const string CorruptNotS2Swap = "corrupt_not_s2_swap";
    public const string AnswerMismatch = "answer_mismatch";
    public const string NotSingleToken = "not_single_token";
    public const string LengthMismatch = "length_mismatch";
    public const string Duplicate = "duplicate";
    public const string NameTokenMismatch = "name_token_mismatch";

    /// <summary>Every code, in the order the filter checks them.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        MalformedJson, MissingField, NotSingleLine, NotPrintable, TrailingSpace, TrailingPunctuation,
        InvalidName, NamesNotDistinct, TrailingAnswer, SNotRepeated, IoNotOnce, NameOrder,
        CorruptNotS2Swap, AnswerMismatch, NotSingleToken, LengthMismatch, NameTokenMismatch, Duplicate,
    ];

    /// <summary>A one-line human description of a reason code.</summary>
    public static string Describe(string code) => code switch
    {
        MalformedJson => "the line is not a JSON object",
        MissingField => "\"clean\" or \"corrupt\" is missing, empty or not a string",
        NotSingleLine => "clean or corrupt contains a line break",
        NotPrintable => "clean or corrupt contains control or invisible characters",
        TrailingSpace => "the prompt ends with whitespace; it must end right before the answer",
        TrailingPunctuation => "the prompt ends with punctuation; it must end with a word such as \"to\"",
        InvalidName => "io or s is not a single capitalised word",
        NamesNotDistinct => "io and s are the same name",
        TrailingAnswer => "the prompt already ends with a name (the answer is included)",
        SNotRepeated => "the subject s does not appear exactly twice in clean (S1 and S2)",
        IoNotOnce => "the indirect object io does not appear exactly once in clean",
        NameOrder => "io does not come before the second mention of s",
        CorruptNotS2Swap => "corrupt is not clean with the second s replaced by io (and nothing else changed)",
        AnswerMismatch => "answer/wrong do not equal \" \"+io / \" \"+s",
        NotSingleToken => "io or s (with a leading space) is not a single GPT-2 token",
        LengthMismatch => "clean and corrupt have different token counts",
        NameTokenMismatch => "a name in clean is not its own \" Name\" token (e.g. no space before it)",
        Duplicate => "the same clean prompt was already accepted",
        _ => "unknown reason",
    };
}
