// Reading one HTTP reply of a chat endpoint safely: the body is read (after decompression) up to a cap,
// so a gzip bomb or a runaway body fails with one line instead of filling memory, then judged: a usable
// completion, the server's own error words, or why it is unreadable. It does not retry or log.
using System.Text;
using System.Text.Json;

namespace CircuitLens.Tasks.Llm;

internal static class ChatReply
{
    /// <summary>Thrown when a reply is larger than the cap; never retried (the same server would send it again).</summary>
    public sealed class TooLargeException(string message) : Exception(message);

    /// <summary>Reads the decompressed body up to <paramref name="maxBytes"/>; throws <see cref="TooLargeException"/> beyond it.</summary>
    public static async Task<string> ReadCappedAsync(HttpContent content, long maxBytes, CancellationToken ct)
    {
        if (content.Headers.ContentLength is long declared && declared > maxBytes && content.Headers.ContentEncoding.Count == 0)
            throw new TooLargeException($"reply of {declared} bytes is larger than the {maxBytes}-byte limit");
        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > maxBytes)
                throw new TooLargeException($"reply is larger than the {maxBytes}-byte limit (after decompression); stopped reading");
            buffer.Write(chunk, 0, n);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>True when <paramref name="text"/> is an OpenAI chat completion with a first choice's message content.</summary>
    public static bool IsCompletion(string text, out string? why)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
            {
                why = "server error: " + ErrorText(error);
                return false;
            }
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices)
                || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                why = "no choices";
                return false;
            }
            if (!choices[0].TryGetProperty("message", out var message) || !message.TryGetProperty("content", out var content)
                || content.ValueKind != JsonValueKind.String)
            {
                why = "no message content";
                return false;
            }
            why = null;
            return true;
        }
        catch (JsonException e)
        {
            why = "invalid JSON: " + OneLine(e.Message);
            return false;
        }
    }

    /// <summary>The server's own words for an error: OpenAI {"error":{"message":...}}, {"error":"..."}, {"message":...}, or the raw body.</summary>
    public static string ServerMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return "(empty body)";
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var error)) return ErrorText(error);
                if (root.TryGetProperty("message", out var msg) && msg.ValueKind == JsonValueKind.String) return OneLine(msg.GetString()!);
            }
        }
        catch (JsonException) { }
        return OneLine(body);
    }

    private static string ErrorText(JsonElement error) => OneLine(error.ValueKind switch
    {
        JsonValueKind.String => error.GetString()!,
        JsonValueKind.Object when error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String => m.GetString()!,
        _ => error.GetRawText(),
    });

    public static string OneLine(string text)
    {
        string single = string.Join(' ', text.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return single.Length <= 300 ? single : single[..300] + "…";
    }
}
