// The HTTP handler under the OpenAI client: every chat request the client sends passes through here, and
// here it is attempted, retried and recorded. Each attempt gets a fresh request with our Authorization
// (or none), its own timeout, and a reply read up to the size cap; 408/429/5xx, timeouts, dropped
// connections and unreadable 200 bodies are retried by a Polly retry strategy (exponential back-off with
// jitter; a server's Retry-After, capped, wins). Every attempt is appended to the raw log with secrets
// redacted, and a request that fails for good ends in a one-line ChatApiException. It does not build
// request bodies or parse completions: that is the OpenAI client's job above it.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Polly;
using Polly.Retry;

namespace CircuitLens.Tasks.Llm;

internal sealed class ChatAttemptHandler : DelegatingHandler
{
    /// <summary>The request being sent on this async flow: its number in the raw log and its attempt count.</summary>
    public sealed class RequestScope(int index)
    {
        public int Index { get; } = index;
        public int Attempts;
    }

    public static readonly AsyncLocal<RequestScope?> Scope = new();

    private sealed record Attempt(bool Ok, int? Status, string? Body, double ElapsedMs, string? Failure, bool Retryable, TimeSpan? RetryAfter, Exception? Exception);

    private readonly ChatClientOptions _options;
    private readonly Uri _url;
    private readonly SecretRedactor _redactor;
    private readonly ChatRawLog _log;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly Func<double> _random;
    private int _attempts;

    public ChatAttemptHandler(ChatClientOptions options, Uri url, SecretRedactor redactor, ChatRawLog log,
        AuthenticationHeaderValue? authorization, HttpMessageHandler inner)
        : base(inner)
    {
        _options = options;
        _url = url;
        _redactor = redactor;
        _log = log;
        _authorization = authorization;
        var jitter = options.JitterSeed is { } seed ? new Random(seed) : new Random();
        var gate = new Lock();
        _random = () => { lock (gate) return jitter.NextDouble(); };
    }

    /// <summary>HTTP attempts made, retries included.</summary>
    public int AttemptsMade => Volatile.Read(ref _attempts);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var scope = Scope.Value ?? new RequestScope(-1);
        byte[] body = request.Content is null ? [] : CompatibleBody(await request.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false));

        var builder = new ResiliencePipelineBuilder<Attempt>();
        if (_options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<Attempt>
            {
                MaxRetryAttempts = _options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.InitialBackoff,
                MaxDelay = _options.MaxBackoff,
                Randomizer = _random,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { Retryable: true }),
                // A server's Retry-After is obeyed, but capped so a misconfigured server cannot stall a run for hours.
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter is { } wait
                    ? (TimeSpan?)(wait < _options.MaxRetryAfter ? wait : _options.MaxRetryAfter) : null),
                OnRetry = args =>
                {
                    var a = args.Outcome.Result!;
                    _log.Append(scope.Index, args.AttemptNumber + 1, a.Status, a.Body, a.ElapsedMs, a.Failure, args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }
        var pipeline = builder.Build();
        int attemptNumber = 0;
        var last = await pipeline.ExecuteAsync(async token =>
        {
            Interlocked.Increment(ref scope.Attempts);
            Interlocked.Increment(ref _attempts);
            attemptNumber++;
            return await AttemptAsync(request, body, token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

        _log.Append(scope.Index, attemptNumber, last.Status, last.Body, last.ElapsedMs, last.Failure, null);
        if (last.Ok)
        {
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                RequestMessage = request,
                Content = new StringContent(last.Body!, Encoding.UTF8, "application/json"),
            };
        }
        string suffix = last.Retryable ? $" (gave up after {attemptNumber} attempt{(attemptNumber == 1 ? "" : "s")})" : "";
        throw new ChatApiException($"{_url}: {last.Failure}{suffix}", last.Status, attemptNumber);
    }

    private async Task<Attempt> AttemptAsync(HttpRequestMessage original, byte[] body, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attemptCts.CancelAfter(_options.Timeout);
        int? status = null;
        try
        {
            using var message = new HttpRequestMessage(original.Method, _url) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            foreach (var header in original.Headers)
                if (!header.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)) message.Headers.TryAddWithoutValidation(header.Key, header.Value);
            message.Headers.Authorization = _authorization;

            using var response = await base.SendAsync(message, attemptCts.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            string text = _redactor.Redact(await ChatReply.ReadCappedAsync(response.Content, _options.MaxResponseBytes, attemptCts.Token).ConfigureAwait(false));
            double ms = clock.Elapsed.TotalMilliseconds;
            if (response.IsSuccessStatusCode)
            {
                return ChatReply.IsCompletion(text, out string? why)
                    ? new Attempt(true, status, text, ms, null, false, null, null)
                    : new Attempt(false, status, text, ms, $"unreadable response body ({why})", true, null, null);
            }
            bool retryable = status is 408 or 429 or >= 500;
            string failure = _redactor.Redact($"HTTP {status} {response.ReasonPhrase}: {ChatReply.ServerMessage(text)}");
            return new Attempt(false, status, text, ms, failure, retryable, RetryAfter(response), null);
        }
        catch (ChatReply.TooLargeException e)
        {
            return new Attempt(false, status, null, clock.Elapsed.TotalMilliseconds, e.Message, false, null, e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            return new Attempt(false, status, null, clock.Elapsed.TotalMilliseconds,
                $"no response within {_options.Timeout.TotalSeconds:0.###} s", true, null, e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            string failure = _redactor.Redact($"connection failed: {ChatReply.OneLine(Innermost(e).Message)}");
            return new Attempt(false, status, null, clock.Elapsed.TotalMilliseconds, failure, true, null, e);
        }
    }

    // The OpenAI client writes the newer "max_completion_tokens"; llama.cpp, older Ollama and vLLM read only
    // "max_tokens", which OpenAI still accepts for chat models. Everything else goes out as the client wrote it.
    private static byte[] CompatibleBody(byte[] body)
    {
        if (body.Length == 0 || body.AsSpan().IndexOf("\"max_completion_tokens\""u8) < 0) return body;
        if (JsonNode.Parse(body) is not JsonObject json || json["max_completion_tokens"] is not { } max) return body;
        json.Remove("max_completion_tokens");
        json["max_tokens"] = max;
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        return null;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
