// One row of a pair file (JSONL): the clean and corrupted prompts (text or token ids), the metric
// the row is scored with and its targets, and every field of the line as read, so tools that filter
// or rewrite a file pass fields they do not know through unchanged.
using System.Text.Json.Nodes;

namespace CircuitLens.Tasks.Pairs;

public sealed record PairRow
{
    /// <summary>1-based line number in the file the row came from (0 when built in code).</summary>
    public int Line { get; init; }
    public string? Clean { get; init; }
    /// <summary>Token ids of the clean prompt (without BOS); when given they are used instead of <see cref="Clean"/>.</summary>
    public int[]? CleanIds { get; init; }
    public string? Corrupt { get; init; }
    public int[]? CorruptIds { get; init; }
    /// <summary>The metric's name: "logit-diff" (the default), "prob-diff" or "logit-diff-to-max".</summary>
    public required string Metric { get; init; }
    /// <summary>logit-diff and logit-diff-to-max: the one answer; prob-diff: the answer set.</summary>
    public required IReadOnlyList<PairToken> Answers { get; init; }
    /// <summary>logit-diff: the one wrong token; prob-diff: the wrong set; logit-diff-to-max: empty.</summary>
    public required IReadOnlyList<PairToken> Wrong { get; init; }
    /// <summary>logit-diff-to-max: the candidates the answer competes with; else empty.</summary>
    public required IReadOnlyList<PairToken> Candidates { get; init; }
    /// <summary>The whole JSON object of the line (known and unknown fields).</summary>
    public required JsonObject Fields { get; init; }

    /// <summary>A string field passed through from the line (e.g. "corruption", "template"), or null.</summary>
    public string? Text(string field) =>
        Fields.TryGetPropertyValue(field, out var node) && node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
