// One message of an OpenAI chat conversation ("system", "user" or "assistant").
using System.Text.Json.Serialization;

namespace CircuitLens.Tasks.Llm;

public sealed record ChatMessage(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] string Content)
{
    public static ChatMessage System(string content) => new("system", content);
    public static ChatMessage User(string content) => new("user", content);
}
