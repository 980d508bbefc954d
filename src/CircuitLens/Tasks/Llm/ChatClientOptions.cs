// Settings for ChatCompletionsClient: where to send requests, how long to wait, how to retry, how much to accept, where to log.
namespace CircuitLens.Tasks.Llm;

public sealed record ChatClientOptions
{
    /// <summary>Base URL ("http://localhost:11434/v1") or the full ".../chat/completions" URL.</summary>
    public required string Endpoint { get; init; }
    public required string Model { get; init; }
    /// <summary>Environment variable holding the API key; unset or empty sends no Authorization header
    /// (local servers such as Ollama, llama.cpp or vLLM need none).</summary>
    public string ApiKeyEnvironmentVariable { get; init; } = "OPENAI_API_KEY";
    /// <summary>Limit for one HTTP attempt, headers and body together.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Extra attempts after the first on 429, 5xx, timeouts, connection errors and unreadable bodies.</summary>
    public int MaxRetries { get; init; } = 5;
    /// <summary>First back-off delay; doubles per retry, with jitter, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Upper bound on a server's Retry-After, so a misconfigured server cannot stall a run for hours.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Requests in flight at once.</summary>
    public int MaxConcurrency { get; init; } = 4;
    /// <summary>Largest reply body accepted, after decompression; a larger one fails the request without retry.</summary>
    public long MaxResponseBytes { get; init; } = 8L << 20;
    /// <summary>JSONL file that every attempt's raw response is appended to; null logs nothing.</summary>
    public string? RawLogPath { get; init; }
    /// <summary>Seed for the back-off jitter (tests); null uses a shared random source.</summary>
    public int? JitterSeed { get; init; }
}
