// Tests for ChatCompletionsClient against a real local HTTP server: the request it sends, which failures it
// retries (429 with Retry-After, 5xx, truncated body, dropped connection, timeout), which it does not (401),
// the concurrency limit, the raw log, and an unreachable endpoint.
using System.Text.Json;
using CircuitLens.Tasks.Llm;

namespace CircuitLens.Tests.Tasks;

public sealed class LlmChatClientTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-llm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ChatClientOptions Options(string endpoint, string? log = null) => new()
    {
        Endpoint = endpoint,
        Model = "fake-model",
        ApiKeyEnvironmentVariable = "CIRCUITLENS_TEST_UNSET_" + Guid.NewGuid().ToString("N"),
        Timeout = TimeSpan.FromSeconds(5),
        MaxRetries = 3,
        InitialBackoff = TimeSpan.FromMilliseconds(5),
        MaxBackoff = TimeSpan.FromMilliseconds(20),
        RawLogPath = log,
        JitterSeed = 1,
    };

    private static readonly ChatRequest Hello = new() { Messages = [ChatMessage.User("hello")], Temperature = 0.5, MaxTokens = 64 };

    private static List<JsonElement> ReadLog(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Theory]
    [InlineData("http://localhost:8080/v1", "http://localhost:8080/v1/chat/completions")]
    [InlineData("http://localhost:8080/v1/", "http://localhost:8080/v1/chat/completions")]
    [InlineData("https://api.example.com/v1/chat/completions", "https://api.example.com/v1/chat/completions")]
    public void ResolvesBaseOrFullEndpoint(string endpoint, string expected) =>
        Assert.Equal(expected, ChatCompletionsClient.ResolveUrl(endpoint).ToString());

    [Fact]
    public void RejectsNonHttpEndpoint() =>
        Assert.Contains("not an http(s) URL", Assert.Throws<CircuitLensException>(() => ChatCompletionsClient.ResolveUrl("localhost:8080")).Message);

    [Fact]
    public async Task SendsOpenAiBodyAndApiKeyFromEnvironment()
    {
        using var server = new LlmFakeChatServer(_ => FakeReply.Completion("hi there"));
        string keyVar = "CIRCUITLENS_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(keyVar, "sk-test-123");
        try
        {
            using var client = new ChatCompletionsClient(Options(server.BaseUrl) with { ApiKeyEnvironmentVariable = keyVar });
            var reply = await client.CompleteAsync(Hello with { Seed = 42, ResponseFormat = "json_object" });
            Assert.Equal("hi there", reply.Content);
            Assert.Equal("stop", reply.FinishReason);
            Assert.Equal(1, reply.Attempts);
        }
        finally { Environment.SetEnvironmentVariable(keyVar, null); }

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer sk-test-123", request.Authorization);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("fake-model", body.GetProperty("model").GetString());
        Assert.Equal("user", body.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal("hello", body.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal(0.5, body.GetProperty("temperature").GetDouble());
        Assert.Equal(64, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal(42, body.GetProperty("seed").GetInt32());
        Assert.Equal("json_object", body.GetProperty("response_format").GetProperty("type").GetString());
    }

    [Fact]
    public async Task SendsNoAuthorizationWithoutKey()
    {
        using var server = new LlmFakeChatServer(_ => FakeReply.Completion("ok"));
        using var client = new ChatCompletionsClient(Options(server.BaseUrl + "/chat/completions"));
        await client.CompleteAsync(Hello);
        var request = Assert.Single(server.Requests);
        Assert.Null(request.Authorization);
        Assert.False(JsonDocument.Parse(request.Body).RootElement.TryGetProperty("seed", out _));
    }

    [Fact]
    public async Task Retries429HonouringRetryAfter()
    {
        using var server = new LlmFakeChatServer(r => r.Number == 0
            ? FakeReply.Error(429, "slow down") with { Headers = new() { ["Retry-After"] = "1" } }
            : FakeReply.Completion("after wait"));
        string log = Path.Combine(_dir, "raw.jsonl");
        using var client = new ChatCompletionsClient(Options(server.BaseUrl, log));
        var reply = await client.CompleteAsync(Hello);
        Assert.Equal("after wait", reply.Content);
        Assert.Equal(2, reply.Attempts);
        Assert.Equal(2, server.RequestCount);
        var entries = ReadLog(log);
        Assert.Equal(2, entries.Count);
        Assert.Equal(429, entries[0].GetProperty("status").GetInt32());
        // Back-off alone would be ~5 ms; Retry-After: 1 must lift the wait to at least a second.
        Assert.True(entries[0].GetProperty("retry_delay_ms").GetDouble() >= 1000);
        Assert.Contains("slow down", entries[0].GetProperty("error").GetString());
        Assert.Equal(200, entries[1].GetProperty("status").GetInt32());
        Assert.Contains("after wait", entries[1].GetProperty("body").GetString());
        Assert.Equal(0, entries[1].GetProperty("request").GetInt32());
        Assert.Equal(2, entries[1].GetProperty("attempt").GetInt32());
    }

    public static TheoryData<string> TransientFailures => ["500", "truncated", "drop", "slow"];

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public async Task RetriesTransientFailureThenSucceeds(string failure)
    {
        FakeReply First() => failure switch
        {
            "500" => FakeReply.Error(500, "boom"),
            "truncated" => new FakeReply { Body = "{\"choices\": [{\"message\": {\"content\": \"When John and" },
            "drop" => new FakeReply { Drop = true },
            _ => FakeReply.Completion("too late") with { Delay = TimeSpan.FromSeconds(30) }, // cut short when the server stops
        };
        using var server = new LlmFakeChatServer(r => r.Number == 0 ? First() : FakeReply.Completion("fine"));
        string log = Path.Combine(_dir, "raw.jsonl");
        // Only the slow case gets a short timeout, so a loaded machine cannot turn the other failures into timeouts.
        var timeout = failure == "slow" ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10);
        using var client = new ChatCompletionsClient(Options(server.BaseUrl, log) with { Timeout = timeout });
        var reply = await client.CompleteAsync(Hello);
        Assert.Equal("fine", reply.Content);
        Assert.Equal(2, reply.Attempts);
        Assert.Equal(2, server.RequestCount);
        Assert.Equal(2, client.AttemptsMade);
        var first = ReadLog(log)[0];
        string error = first.GetProperty("error").GetString()!;
        string expected = failure switch
        {
            "500" => "HTTP 500",
            "truncated" => "unreadable response body",
            "drop" => "connection failed",
            _ => "no response within",
        };
        Assert.True(error.Contains(expected, StringComparison.Ordinal), $"\"{error}\" lacks \"{expected}\"");
    }

    [Fact]
    public async Task DoesNotRetry401AndReportsServerMessage()
    {
        using var server = new LlmFakeChatServer(_ => FakeReply.Error(401, "Invalid API key\nprovided"));
        using var client = new ChatCompletionsClient(Options(server.BaseUrl));
        var error = await Assert.ThrowsAsync<ChatApiException>(() => client.CompleteAsync(Hello));
        Assert.Equal(1, server.RequestCount);
        Assert.Equal(401, error.StatusCode);
        Assert.Equal(1, error.Attempts);
        Assert.Contains("401", error.Message);
        Assert.Contains("Invalid API key provided", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.IsAssignableFrom<CircuitLensException>(error);
    }

    [Fact]
    public async Task A400ForAnotherReasonIsNotBlamedOnTheSchema()
    {
        using var server = new LlmFakeChatServer(_ => FakeReply.Error(400, "model 'x' not found"));
        using var client = new ChatCompletionsClient(Options(server.BaseUrl));
        var schema = JsonDocument.Parse("""{"type": "object"}""").RootElement;
        var error = await Assert.ThrowsAsync<ChatApiException>(() => client.CompleteAsync(Hello with { JsonSchema = schema }));
        Assert.Contains("model 'x' not found", error.Message);
        Assert.Equal(2, server.RequestCount); // with the schema, then once without
        Assert.False(client.JsonSchemaRefused);
        Assert.DoesNotContain("json_schema", server.Requests.Single(r => r.Number == 1).Body);
    }

    [Fact]
    public async Task GivesUpAfterMaxRetries()
    {
        using var server = new LlmFakeChatServer(_ => FakeReply.Error(503, "overloaded"));
        using var client = new ChatCompletionsClient(Options(server.BaseUrl) with { MaxRetries = 2 });
        var error = await Assert.ThrowsAsync<ChatApiException>(() => client.CompleteAsync(Hello));
        Assert.Equal(3, server.RequestCount);
        Assert.Equal(503, error.StatusCode);
        Assert.Contains("gave up after 3 attempts", error.Message);
        Assert.Contains("overloaded", error.Message);
    }

    [Fact]
    public async Task UnreachableEndpointFailsCleanly()
    {
        string log = Path.Combine(_dir, "raw.jsonl");
        using var client = new ChatCompletionsClient(Options($"http://127.0.0.1:{LlmFakeChatServer.FreePort()}/v1", log) with { MaxRetries = 1 });
        var error = await Assert.ThrowsAsync<ChatApiException>(() => client.CompleteAsync(Hello));
        Assert.Null(error.StatusCode);
        Assert.Equal(2, error.Attempts);
        Assert.Contains("connection failed", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.All(ReadLog(log), e => Assert.Equal(JsonValueKind.Null, e.GetProperty("status").ValueKind));
    }

    [Fact]
    public async Task LimitsRequestsInFlight()
    {
        using var server = new LlmFakeChatServer(_ => FakeReply.Completion("ok") with { Delay = TimeSpan.FromMilliseconds(100) });
        using var client = new ChatCompletionsClient(Options(server.BaseUrl) with { MaxConcurrency = 2 });
        var replies = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.CompleteAsync(Hello)));
        Assert.Equal(6, replies.Length);
        Assert.Equal(6, server.RequestCount);
        Assert.InRange(server.MaxInFlight, 1, 2);
        Assert.Equal(Enumerable.Range(0, 6), replies.Select(r => r.RequestIndex).Order());
    }

    [Fact]
    public async Task CancellationIsNotReportedAsAnApiError()
    {
        using var server = new LlmFakeChatServer(_ => FakeReply.Completion("late") with { Delay = TimeSpan.FromSeconds(5) });
        using var client = new ChatCompletionsClient(Options(server.BaseUrl));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CompleteAsync(Hello, cts.Token));
        Assert.True(cts.IsCancellationRequested);
    }
}
