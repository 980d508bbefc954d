// What to ask one chat completion for; the model and endpoint come from ChatClientOptions.
namespace CircuitLens.Tasks.Llm;

public sealed record ChatRequest
{
    public required IReadOnlyList<ChatMessage> Messages { get; init; }
    public double? Temperature { get; init; }
    public int? MaxTokens { get; init; }
    /// <summary>Sampling seed passed to servers that honour it (OpenAI, Ollama, vLLM, llama.cpp).</summary>
    public int? Seed { get; init; }
    /// <summary>OpenAI response_format type, e.g. "json_object"; null sends none.</summary>
    public string? ResponseFormat { get; init; }
}
