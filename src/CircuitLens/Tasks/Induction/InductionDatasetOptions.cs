// Settings for InductionDatasetGenerator.
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.Induction;

public sealed record InductionDatasetOptions
{
    public int N { get; init; } = 100;
    public int Seed { get; init; }
    /// <summary>L: tokens in the random block (the prompt repeats up to L−1 of them).</summary>
    public int Length { get; init; } = 20;
    /// <summary>The word-token range [MinTokenId, MaxTokenId) tokens are drawn from (common words in GPT-2's vocabulary).</summary>
    public int MinTokenId { get; init; } = 1000;
    public int MaxTokenId { get; init; } = 10000;
    public Gpt2Tokenizer? Tokenizer { get; init; }
}
