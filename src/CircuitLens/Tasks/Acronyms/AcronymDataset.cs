// The result of generating an acronym dataset: three rows per acronym (steps 1..3), and the nouns
// left out because they are not " X" + one more token with this tokenizer.
namespace CircuitLens.Tasks.Acronyms;

public sealed record AcronymDataset(IReadOnlyList<AcronymPair> Pairs, IReadOnlyList<string> DroppedNouns);
