// Settings for IoiDatasetGenerator. Word lists default to IoiVocabulary; any list given here is
// filtered the same way (single tokens with a leading space only).
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.Ioi;

public sealed record IoiDatasetOptions
{
    /// <summary>Number of pairs.</summary>
    public int N { get; init; } = 100;
    /// <summary>Seed of the random choices: the same options give the same rows.</summary>
    public int Seed { get; init; }
    public IoiPattern Pattern { get; init; } = IoiPattern.Mixed;
    public IoiCorruption Corruption { get; init; } = IoiCorruption.S2Swap;
    /// <summary>BABA templates to draw from; null = all of IoiVocabulary.BabaTemplates.</summary>
    public IReadOnlyList<string>? Templates { get; init; }
    public IReadOnlyList<string>? Names { get; init; }
    public IReadOnlyList<string>? Places { get; init; }
    public IReadOnlyList<string>? Objects { get; init; }
    /// <summary>Tokenizer for the single-token check and token positions; null = Gpt2Tokenizer.Default.</summary>
    public Gpt2Tokenizer? Tokenizer { get; init; }
}
