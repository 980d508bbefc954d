// The useful part of a successful chat completion response.
namespace CircuitLens.Tasks.Llm;

/// <param name="Content">The first choice's message text.</param>
/// <param name="FinishReason">"stop", "length" (output was cut) or null when the server gave none.</param>
/// <param name="Attempts">HTTP attempts it took, 1 when no retry was needed.</param>
/// <param name="RequestIndex">The client's running request number, as written in the raw log.</param>
public sealed record ChatCompletion(string Content, string? FinishReason, int Attempts, int RequestIndex);
