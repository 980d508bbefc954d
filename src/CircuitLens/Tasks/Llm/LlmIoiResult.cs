// What an LLM IOI generation run produced: the accepted pairs (possibly fewer than asked), every rejection with its
// reason, and the error that stopped it early, if any. Partial results are kept so callers can still write them.
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tasks.Llm;

public sealed record LlmIoiResult
{
    public required IReadOnlyList<IoiPair> Pairs { get; init; }
    public required IReadOnlyList<FormatRejection> Rejections { get; init; }
    public required int Target { get; init; }
    /// <summary>Chat requests made and HTTP attempts (retries included).</summary>
    public required int Requests { get; init; }
    public required int Attempts { get; init; }
    public string? RawLogPath { get; init; }
    /// <summary>One-line reason the run stopped early (a request failed for good), or null.</summary>
    public string? Error { get; init; }

    public IReadOnlyDictionary<string, int> RejectCounts => FormatFilterResult.CountReasons(Rejections);
    public bool ReachedTarget => Pairs.Count >= Target;
}
