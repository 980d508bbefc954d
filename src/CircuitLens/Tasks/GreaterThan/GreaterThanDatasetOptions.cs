// Settings for GreaterThanDatasetGenerator.
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.GreaterThan;

public sealed record GreaterThanDatasetOptions
{
    public int N { get; init; } = 100;
    /// <summary>Seed of the random choices: the same options give the same rows.</summary>
    public int Seed { get; init; }
    /// <summary>Null = the 120 nouns of GreaterThanVocabulary.</summary>
    public IReadOnlyList<string>? Nouns { get; init; }
    /// <summary>Null = Gpt2Tokenizer.Default.</summary>
    public Gpt2Tokenizer? Tokenizer { get; init; }
}
