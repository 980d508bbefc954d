// What to ask one chat completion for; the model and endpoint come from ChatClientOptions.
namespace CircuitLens.Tasks.Llm;

public sealed record ChatRequest
{
    public required IReadOnlyList<ChatMessage> Messages { get; init; }
    public double? Temperature { get; init; }
    public int? MaxTokens { get; init; }
    /// <summary>Sampling seed passed to servers that honour it (OpenAI, Ollama, vLLM, llama.cpp).</summary>
    public int? Seed { get; init; }
    /// <summary>OpenAI response_format type, "json_object" or "text"; null sends none. <see cref="JsonSchema"/> wins over it.</summary>
    public string? ResponseFormat { get; init; }
    /// <summary>JSON schema the reply must follow (structured output); when the server refuses it, the request is
    /// sent again without it (and so are later ones).</summary>
    public System.Text.Json.JsonElement? JsonSchema { get; init; }
    public string? JsonSchemaName { get; init; }
}
