// Settings for LlmIoiGenerator: how many pairs, how to sample, and how many requests it may spend.
namespace CircuitLens.Tasks.Llm;

public sealed record LlmIoiOptions
{
    public required ChatClientOptions Chat { get; init; }
    /// <summary>Accepted pairs wanted.</summary>
    public required int Count { get; init; }
    /// <summary>Pairs asked for in one request (fewer when fewer remain).</summary>
    public int PairsPerRequest { get; init; } = 20;
    /// <summary>Requests allowed in total; null means 3 × the requests needed if nothing were rejected, plus 2.</summary>
    public int? MaxRequests { get; init; }
    public double Temperature { get; init; } = 0.9;
    public int MaxTokens { get; init; } = 4096;
    /// <summary>Ask for JSON-schema structured output ({"pairs": [...]}); servers that refuse it get plain requests.</summary>
    public bool StructuredOutput { get; init; } = true;
    /// <summary>Seeds the prompt examples and name hints, and is sent as the request seed (+ request index).</summary>
    public int? Seed { get; init; }

    internal int ResolvedMaxRequests => MaxRequests ?? 3 * (int)Math.Ceiling(Count / (double)Math.Max(1, PairsPerRequest)) + 2;
}
