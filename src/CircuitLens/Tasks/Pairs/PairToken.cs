// One answer-like token of a pair file: given as text (" John", "33") or as a token id. Text must
// encode to exactly one GPT-2 token; that is checked when the file is tokenized for a model.
namespace CircuitLens.Tasks.Pairs;

public readonly record struct PairToken(string? Text, int? Id)
{
    public static PairToken FromText(string text) => new(text, null);
    public static PairToken FromId(int id) => new(null, id);

    public override string ToString() => Id is { } id ? $"id {id}" : $"\"{Text}\"";
}
