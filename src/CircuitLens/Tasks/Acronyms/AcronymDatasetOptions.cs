// Settings for AcronymDatasetGenerator.
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.Acronyms;

public sealed record AcronymDatasetOptions
{
    /// <summary>Number of acronyms; the dataset has three rows (steps) per acronym.</summary>
    public int N { get; init; } = 100;
    public int Seed { get; init; }
    /// <summary>Null = AcronymVocabulary.Nouns; any list is filtered the same way.</summary>
    public IReadOnlyList<string>? Nouns { get; init; }
    public Gpt2Tokenizer? Tokenizer { get; init; }
}
