// One acronym row: the prompt "The C1w1 C2w2 C3w3 (" cut before the letter of step 1, 2 or 3, the
// letter to predict, and a corruption whose step word starts with another capital (same token
// length). Scored by logit(answer) − max logit of the other 25 capital letters ("logit-diff-to-max").
using System.Text.Json.Nodes;

namespace CircuitLens.Tasks.Acronyms;

/// <param name="Group">Which acronym (0-based) the row belongs to; its three steps share it.</param>
/// <param name="Words">The three nouns of the clean prompt.</param>
/// <param name="Step">1..3: the letter predicted (prompt ends at " (", A1, A2).</param>
/// <param name="CorruptWord">The step's noun with its capital replaced.</param>
public sealed record AcronymPair(int Group, IReadOnlyList<string> Words, int Step, string CorruptWord)
{
    public string Acronym => string.Concat(Words.Select(w => w[0]));
    public string Clean => AcronymVocabulary.Prompt(Words, Acronym[..(Step - 1)]);
    public string Corrupt => AcronymVocabulary.Prompt(Words.Select((w, i) => i == Step - 1 ? CorruptWord : w).ToList(), Acronym[..(Step - 1)]);
    public string Answer => Acronym[Step - 1].ToString();

    public JsonObject ToJson() => new()
    {
        ["clean"] = Clean,
        ["corrupt"] = Corrupt,
        ["metric"] = "logit-diff-to-max",
        ["answer"] = Answer,
        ["candidates"] = TaskJsonl.Strings(AcronymVocabulary.CapitalLetters),
        ["step"] = Step,
        ["group"] = Group,
        ["acronym"] = Acronym,
        ["words"] = TaskJsonl.Strings(Words),
        ["corrupt_word"] = CorruptWord,
    };

    /// <summary>Reads back the task fields of a row written by <see cref="ToJson"/>; null when the row lacks them.</summary>
    public static AcronymPair? FromJson(JsonObject row) =>
        row["group"] is JsonValue g && row["words"] is JsonArray w && row["step"] is JsonValue s && row["corrupt_word"] is JsonValue c
            ? new AcronymPair(g.GetValue<int>(), w.Select(x => x!.GetValue<string>()).ToArray(), s.GetValue<int>(), c.GetValue<string>())
            : null;
}
