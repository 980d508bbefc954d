// The result of generating an IOI dataset: the pairs, and the words that were left out and why.
namespace CircuitLens.Tasks.Ioi;

public sealed record IoiDataset(IReadOnlyList<IoiPair> Pairs, IReadOnlyList<IoiDroppedWord> Dropped);
