// One row of an IOI dataset: a clean prompt, its corruption, and the two competing answer tokens.
// The metric on BOTH prompts is logit(Answer) - logit(Wrong) at the last position, so the clean run
// scores positive and an S2-swapped corruption scores negative.
using System.Text.Json.Serialization;

namespace CircuitLens.Tasks.Ioi;

public sealed record IoiPair
{
    /// <summary>Clean prompt, e.g. "When John and Mary went to the shops, Mary gave the bag to".</summary>
    [JsonPropertyName("clean")] public required string Clean { get; init; }
    /// <summary>Corrupted prompt, e.g. "When John and Mary went to the shops, John gave the bag to".</summary>
    [JsonPropertyName("corrupt")] public required string Corrupt { get; init; }
    /// <summary>Correct next token for the clean prompt, with its leading space (" John").</summary>
    [JsonPropertyName("answer")] public required string Answer { get; init; }
    /// <summary>The competing name (" Mary"): the subject S for the clean prompt.</summary>
    [JsonPropertyName("wrong")] public required string Wrong { get; init; }
    /// <summary>Template text with [A]/[B]/[PLACE]/[OBJECT] slots, or a source tag such as "llm".</summary>
    [JsonPropertyName("template")] public string? Template { get; init; }
    /// <summary>Indirect object name, without leading space ("John").</summary>
    [JsonPropertyName("io")] public string? Io { get; init; }
    /// <summary>Subject name, without leading space ("Mary").</summary>
    [JsonPropertyName("s")] public string? S { get; init; }
    /// <summary>"s2-swap" or "abc".</summary>
    [JsonPropertyName("corruption")] public string? Corruption { get; init; }
    /// <summary>"BABA" or "ABBA".</summary>
    [JsonPropertyName("pattern")] public string? Pattern { get; init; }
    // Token positions in the clean prompt encoded WITHOUT BOS (add 1 when a BOS token is prepended).
    [JsonPropertyName("io_pos")] public int? IoPos { get; init; }
    [JsonPropertyName("s1_pos")] public int? S1Pos { get; init; }
    [JsonPropertyName("s2_pos")] public int? S2Pos { get; init; }
    [JsonPropertyName("end_pos")] public int? EndPos { get; init; }
}
