// A chat request that failed for good: a 4xx other than 429, or retries exhausted. The message is one line.
namespace CircuitLens.Tasks.Llm;

public sealed class ChatApiException : CircuitLensException
{
    public ChatApiException(string message, int? statusCode, int attempts, Exception? inner = null)
        : base(message, inner!)
    {
        StatusCode = statusCode;
        Attempts = attempts;
    }

    /// <summary>HTTP status of the last attempt; null when no response came back (connection error, timeout).</summary>
    public int? StatusCode { get; }
    public int Attempts { get; }
}
