// One greater-than row: "The {noun} lasted from the year {XXYY} to the year {XX}" and its XX01
// corruption, scored by the probability difference Σ p(YY' > YY) − Σ p(YY' ≤ YY) over the 100
// two-digit tokens at the last position (the pair-file "prob-diff" metric).
using System.Text.Json.Nodes;

namespace CircuitLens.Tasks.GreaterThan;

public sealed record GreaterThanPair(string Noun, int Century, int Year)
{
    public string Clean => GreaterThanVocabulary.Prompt(Noun, Century, Year);
    public string Corrupt => GreaterThanVocabulary.Prompt(Noun, Century, GreaterThanVocabulary.CorruptYear);

    /// <summary>The two-digit tokens above the start year: "YY+1".."99".</summary>
    public IReadOnlyList<string> Answers => GreaterThanVocabulary.TwoDigitTokens.Skip(Year + 1).ToArray();

    /// <summary>The two-digit tokens at or below the start year: "00".."YY".</summary>
    public IReadOnlyList<string> WrongAnswers => GreaterThanVocabulary.TwoDigitTokens.Take(Year + 1).ToArray();

    /// <summary>The pair-file row: clean, corrupt, metric, answers, wrong_answers, then noun, century, yy.</summary>
    public JsonObject ToJson() => new()
    {
        ["clean"] = Clean,
        ["corrupt"] = Corrupt,
        ["metric"] = "prob-diff",
        ["answers"] = TaskJsonl.Strings(Answers),
        ["wrong_answers"] = TaskJsonl.Strings(WrongAnswers),
        ["noun"] = Noun,
        ["century"] = Century,
        ["yy"] = Year,
    };

    /// <summary>Reads back the task fields of a row written by <see cref="ToJson"/>; null when the row lacks them.</summary>
    public static GreaterThanPair? FromJson(JsonObject row) =>
        row["noun"] is JsonValue n && row["century"] is JsonValue c && row["yy"] is JsonValue y
            ? new GreaterThanPair(n.GetValue<string>(), c.GetValue<int>(), y.GetValue<int>())
            : null;
}
