// Chat completions from any OpenAI-compatible server (OpenAI, vLLM, Ollama, LM Studio, llama.cpp) through
// Microsoft.Extensions.AI's IChatClient over the OpenAI client with a custom endpoint. What it adds: the key
// read from an environment variable (never written anywhere: every logged or thrown text is redacted),
// bounded concurrency, retries, a size cap and a raw log per HTTP attempt (ChatAttemptHandler, under the
// OpenAI client), and JSON-schema structured output that falls back to plain text once a server refuses it.
// It does not stream, call tools, or interpret the model's text; callers parse Content themselves.
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.AI;
using OpenAI;
using AI = Microsoft.Extensions.AI;

namespace CircuitLens.Tasks.Llm;

public sealed class ChatCompletionsClient : IDisposable
{
    private readonly ChatClientOptions _options;
    private readonly ChatEndpoint _endpoint;
    private readonly HttpClient _http;
    private readonly ChatAttemptHandler _handler;
    private readonly IChatClient _chat;
    private readonly SemaphoreSlim _slots;
    private readonly SecretRedactor _redactor;
    private int _requests;
    private volatile bool _schemaRefused;

    public ChatCompletionsClient(ChatClientOptions options)
    {
        if (options.MaxConcurrency < 1) throw new CircuitLensException($"concurrency must be at least 1, got {options.MaxConcurrency}");
        if (options.MaxRetries < 0) throw new CircuitLensException($"retries must be 0 or more, got {options.MaxRetries}");
        if (options.Timeout <= TimeSpan.Zero) throw new CircuitLensException($"timeout must be positive, got {options.Timeout.TotalSeconds}s");
        if (options.MaxResponseBytes < 1024) throw new CircuitLensException($"reply size limit must be at least 1024 bytes, got {options.MaxResponseBytes}");
        if (string.IsNullOrWhiteSpace(options.Model)) throw new CircuitLensException("model name is empty");
        _options = options;
        _endpoint = ChatEndpoint.Parse(options.Endpoint);
        string? key = Environment.GetEnvironmentVariable(options.ApiKeyEnvironmentVariable);
        key = string.IsNullOrWhiteSpace(key) ? null : key.Trim();
        _redactor = new SecretRedactor([key, .. _endpoint.Secrets(options.Endpoint)]);

        AuthenticationHeaderValue? authorization = key is not null ? new("Bearer", key)
            : _endpoint.BasicCredentials is { } basic ? new("Basic", basic) : null;
        _handler = new ChatAttemptHandler(options, _endpoint.Url, _redactor, new ChatRawLog(options.RawLogPath), authorization,
            new SocketsHttpHandler
            {
                ConnectTimeout = options.Timeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                AutomaticDecompression = DecompressionMethods.All,
            });
        _http = new HttpClient(_handler) { Timeout = Timeout.InfiniteTimeSpan };
        // The key travels in the handler's Authorization header; the OpenAI client's own credential is a placeholder
        // it requires, replaced on every attempt. Retries and timeouts are the handler's, so the client's are off.
        var openAi = new OpenAI.Chat.ChatClient(options.Model, new ApiKeyCredential("set-by-circuitlens"), new OpenAIClientOptions
        {
            Endpoint = _endpoint.BaseUrl,
            Transport = new HttpClientPipelineTransport(_http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        });
        _chat = openAi.AsIChatClient();
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
    }

    /// <summary>The resolved .../chat/completions URL (never with user-info).</summary>
    public Uri Url => _endpoint.Url;
    /// <summary>Requests started (each may take several attempts).</summary>
    public int RequestsStarted => Volatile.Read(ref _requests);
    /// <summary>HTTP attempts made, retries included.</summary>
    public int AttemptsMade => _handler.AttemptsMade;
    /// <summary>True once the server refused a JSON-schema response format; later requests ask for plain text.</summary>
    public bool JsonSchemaRefused => _schemaRefused;

    /// <summary>Accepts "http://host:port/v1" (appends /chat/completions) or the full endpoint URL; drops user-info.</summary>
    public static Uri ResolveUrl(string endpoint) => ChatEndpoint.Parse(endpoint).Url;

    /// <summary>Sends one chat request, retrying transient failures. Throws <see cref="ChatApiException"/> when it
    /// fails for good and <see cref="OperationCanceledException"/> when <paramref name="ct"/> is cancelled.</summary>
    public async Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken ct = default)
    {
        int index = Interlocked.Increment(ref _requests) - 1;
        var messages = request.Messages.Select(m => new AI.ChatMessage(new ChatRole(m.Role), m.Content)).ToList();
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var scope = new ChatAttemptHandler.RequestScope(index);
            ChatAttemptHandler.Scope.Value = scope;
            bool withSchema = request.JsonSchema is not null && !_schemaRefused;
            ChatResponse response;
            try
            {
                response = await SendAsync(messages, Options(request, withSchema), ct).ConfigureAwait(false);
            }
            catch (ChatApiException e) when (withSchema && e.StatusCode is 400 or 422)
            {
                // Servers without structured output (older llama.cpp, Ollama, vLLM builds) refuse the format: ask again
                // for plain text and, when that works, ask every later request that way. A 400 for another reason fails
                // again here and is reported as such. The format filter judges the lines either way.
                response = await SendAsync(messages, Options(request, withSchema: false), ct).ConfigureAwait(false);
                _schemaRefused = true;
            }
            return new ChatCompletion(_redactor.Redact(response.Text), response.FinishReason?.Value, scope.Attempts, index);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<ChatResponse> SendAsync(List<AI.ChatMessage> messages, ChatOptions options, CancellationToken ct)
    {
        try
        {
            return await _chat.GetResponseAsync(messages, options, ct).ConfigureAwait(false);
        }
        catch (ClientResultException e) when (e.InnerException is ChatApiException api)
        {
            throw api;
        }
        catch (Exception e) when (e is ClientResultException or System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            // The handler only passes on bodies it could read as completions; anything the OpenAI client still rejects lands here.
            throw new ChatApiException($"{Url}: unusable reply ({_redactor.Redact(ChatReply.OneLine(e.Message))})", null, 1);
        }
    }

    private ChatOptions Options(ChatRequest request, bool withSchema) => new()
    {
        Temperature = request.Temperature is { } t ? (float)t : null,
        MaxOutputTokens = request.MaxTokens,
        Seed = request.Seed,
        ResponseFormat = withSchema ? ChatResponseFormat.ForJsonSchema(request.JsonSchema!.Value, request.JsonSchemaName ?? "reply")
            : request.ResponseFormat switch
            {
                null => null,
                "json_object" => ChatResponseFormat.Json,
                "text" => ChatResponseFormat.Text,
                var other => throw new CircuitLensException($"response format \"{other}\" is not one of json_object, text"),
            },
    };

    public void Dispose()
    {
        _http.Dispose();
        _slots.Dispose();
    }
}
