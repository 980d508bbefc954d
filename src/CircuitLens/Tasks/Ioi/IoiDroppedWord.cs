// A word left out of an IOI dataset, with why (usually: not a single token with its leading space).
namespace CircuitLens.Tasks.Ioi;

/// <param name="Word">The word as listed, without leading space.</param>
/// <param name="Kind">"name", "place" or "object".</param>
/// <param name="Reason">One line, e.g. "\" Kristen\" is 2 tokens, not 1".</param>
public sealed record IoiDroppedWord(string Word, string Kind, string Reason);
