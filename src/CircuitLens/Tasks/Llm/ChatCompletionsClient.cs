// Minimal client for OpenAI-compatible POST /chat/completions (OpenAI, Ollama, llama.cpp, vLLM): retries with
// exponential back-off and jitter on 429/5xx/timeouts/connection errors (honouring Retry-After), fails fast with one
// clear line on other 4xx, bounds concurrency, and appends every attempt's raw response to a JSONL log.
// It does not stream, call tools, or interpret the model's text; callers parse Content themselves.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CircuitLens.Tasks.Llm;

public sealed class ChatCompletionsClient : IDisposable
{
    private readonly ChatClientOptions _options;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _slots;
    private readonly ChatRawLog _log;
    private readonly string? _apiKey;
    private readonly Random _jitter;
    private readonly Lock _jitterGate = new();
    private int _requests;
    private int _attempts;

    public ChatCompletionsClient(ChatClientOptions options)
    {
        if (options.MaxConcurrency < 1) throw new CircuitLensException($"concurrency must be at least 1, got {options.MaxConcurrency}");
        if (options.MaxRetries < 0) throw new CircuitLensException($"retries must be 0 or more, got {options.MaxRetries}");
        if (options.Timeout <= TimeSpan.Zero) throw new CircuitLensException($"timeout must be positive, got {options.Timeout.TotalSeconds}s");
        if (string.IsNullOrWhiteSpace(options.Model)) throw new CircuitLensException("model name is empty");
        _options = options;
        Url = ResolveUrl(options.Endpoint);
        string? key = Environment.GetEnvironmentVariable(options.ApiKeyEnvironmentVariable);
        _apiKey = string.IsNullOrWhiteSpace(key) ? null : key.Trim();
        // Per-attempt timeouts are enforced with our own token so a timeout is told apart from the caller cancelling.
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            AutomaticDecompression = DecompressionMethods.All,
        }) { Timeout = Timeout.InfiniteTimeSpan };
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _log = new ChatRawLog(options.RawLogPath);
        _jitter = options.JitterSeed is { } seed ? new Random(seed) : new Random();
    }

    /// <summary>The resolved .../chat/completions URL.</summary>
    public Uri Url { get; }
    /// <summary>Requests started (each may take several attempts).</summary>
    public int RequestsStarted => Volatile.Read(ref _requests);
    /// <summary>HTTP attempts made, retries included.</summary>
    public int AttemptsMade => Volatile.Read(ref _attempts);

    /// <summary>Accepts "http://host:port/v1" (appends /chat/completions) or the full endpoint URL.</summary>
    public static Uri ResolveUrl(string endpoint)
    {
        string trimmed = endpoint.Trim().TrimEnd('/');
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CircuitLensException($"endpoint \"{endpoint}\" is not an http(s) URL such as http://localhost:11434/v1");
        return trimmed.EndsWith("/chat/completions", StringComparison.OrdinalIgnoreCase) ? uri : new Uri(trimmed + "/chat/completions");
    }

    /// <summary>Sends one chat request, retrying transient failures. Throws <see cref="ChatApiException"/> when it
    /// fails for good and <see cref="OperationCanceledException"/> when <paramref name="ct"/> is cancelled.</summary>
    public async Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken ct = default)
    {
        int index = Interlocked.Increment(ref _requests) - 1;
        string body = BuildBody(request);
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                Interlocked.Increment(ref _attempts);
                var outcome = await AttemptAsync(body, ct).ConfigureAwait(false);
                if (outcome.Completion is { } done)
                {
                    _log.Append(index, attempt, outcome.Status, outcome.Body, outcome.ElapsedMs, null, null);
                    return new ChatCompletion(done.Content, done.FinishReason, attempt, index);
                }
                bool giveUp = !outcome.Retryable || attempt > _options.MaxRetries;
                TimeSpan? delay = giveUp ? null : RetryDelay(attempt, outcome.RetryAfter);
                _log.Append(index, attempt, outcome.Status, outcome.Body, outcome.ElapsedMs, outcome.Failure, delay?.TotalMilliseconds);
                if (giveUp)
                {
                    string suffix = outcome.Retryable ? $" (gave up after {attempt} attempt{(attempt == 1 ? "" : "s")})" : "";
                    throw new ChatApiException($"{Url}: {outcome.Failure}{suffix}", outcome.Status, attempt, outcome.Exception);
                }
                await Task.Delay(delay!.Value, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private sealed record Outcome(
        (string Content, string? FinishReason)? Completion, int? Status, string? Body, double ElapsedMs,
        string? Failure, bool Retryable, TimeSpan? RetryAfter, Exception? Exception);

    private async Task<Outcome> AttemptAsync(string body, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attemptCts.CancelAfter(_options.Timeout);
        int? status = null;
        string? text = null;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, Url)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            if (_apiKey is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, attemptCts.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            text = await response.Content.ReadAsStringAsync(attemptCts.Token).ConfigureAwait(false);
            double ms = clock.Elapsed.TotalMilliseconds;
            if (response.IsSuccessStatusCode)
            {
                return TryParseCompletion(text, out var completion, out string? why)
                    ? new Outcome(completion, status, text, ms, null, false, null, null)
                    : new Outcome(null, status, text, ms, $"unreadable response body ({why})", true, null, null);
            }
            bool retryable = status is 408 or 429 or >= 500;
            string failure = $"HTTP {status} {response.ReasonPhrase}: {ServerMessage(text)}";
            return new Outcome(null, status, text, ms, failure, retryable, RetryAfter(response), null);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            string failure = $"no response within {_options.Timeout.TotalSeconds:0.###} s";
            return new Outcome(null, status, text, clock.Elapsed.TotalMilliseconds, failure, true, null, e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            string failure = $"connection failed: {OneLine(Innermost(e).Message)}";
            return new Outcome(null, status, text, clock.Elapsed.TotalMilliseconds, failure, true, null, e);
        }
    }

    // Exponential back-off with "equal jitter": half fixed, half random, so clients that failed together spread out.
    // A server's Retry-After is a floor (capped by MaxRetryAfter).
    private TimeSpan RetryDelay(int attempt, TimeSpan? retryAfter)
    {
        double baseMs = Math.Min(_options.MaxBackoff.TotalMilliseconds,
            _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1));
        double random;
        lock (_jitterGate) random = _jitter.NextDouble();
        double ms = baseMs * (0.5 + 0.5 * random);
        if (retryAfter is { } floor)
            ms = Math.Max(ms, Math.Min(floor.TotalMilliseconds, _options.MaxRetryAfter.TotalMilliseconds));
        return TimeSpan.FromMilliseconds(ms);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        return null;
    }

    private string BuildBody(ChatRequest request)
    {
        var messages = new JsonArray();
        foreach (var m in request.Messages) messages.Add(new JsonObject { ["role"] = m.Role, ["content"] = m.Content });
        var body = new JsonObject { ["model"] = _options.Model, ["messages"] = messages };
        if (request.Temperature is { } t) body["temperature"] = t;
        if (request.MaxTokens is { } n) body["max_tokens"] = n;
        if (request.Seed is { } seed) body["seed"] = seed;
        if (request.ResponseFormat is { } format) body["response_format"] = new JsonObject { ["type"] = format };
        return body.ToJsonString();
    }

    internal static bool TryParseCompletion(string text, out (string Content, string? FinishReason) completion, out string? why)
    {
        completion = default;
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
            var first = choices[0];
            if (!first.TryGetProperty("message", out var message) || !message.TryGetProperty("content", out var content)
                || content.ValueKind != JsonValueKind.String)
            {
                why = "no message content";
                return false;
            }
            string? finish = first.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            completion = (content.GetString()!, finish);
            why = null;
            return true;
        }
        catch (JsonException e)
        {
            why = "invalid JSON: " + OneLine(e.Message);
            return false;
        }
    }

    // The server's own words for an error: OpenAI {"error":{"message":...}}, {"error":"..."}, {"message":...}, or the raw body.
    internal static string ServerMessage(string? body)
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

    private static string OneLine(string text)
    {
        string single = string.Join(' ', text.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return single.Length <= 300 ? single : single[..300] + "…";
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    public void Dispose()
    {
        _http.Dispose();
        _slots.Dispose();
    }
}
