// Regression tests for issue 11 items 2 and 3 against a real local HTTP server: the API key (from the
// environment or as URL user-info) never reaches an error, the raw log or an output, even when the
// server echoes the request headers back; a reply larger than the cap (a gzip bomb, a huge plain body)
// fails with one clear line instead of being inflated into memory.
using System.IO.Compression;
using System.Text.Json;
using CircuitLens.Tasks.Llm;

namespace CircuitLens.Tests.Tasks;

public sealed class LlmClientSafetyTests : IDisposable
{
    private const string Key = "sk-SECRET-0123456789abcdef";
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-llmsafe-").FullName;
    private readonly string _keyVar = "CIRCUITLENS_TEST_KEY_" + Guid.NewGuid().ToString("N");

    public LlmClientSafetyTests() => Environment.SetEnvironmentVariable(_keyVar, Key);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_keyVar, null);
        Directory.Delete(_dir, recursive: true);
    }

    private ChatClientOptions Options(string endpoint) => new()
    {
        Endpoint = endpoint,
        Model = "fake-model",
        ApiKeyEnvironmentVariable = _keyVar,
        Timeout = TimeSpan.FromSeconds(10),
        MaxRetries = 1,
        InitialBackoff = TimeSpan.FromMilliseconds(5),
        MaxBackoff = TimeSpan.FromMilliseconds(20),
        RawLogPath = Path.Combine(_dir, "raw.jsonl"),
        JitterSeed = 1,
    };

    private static readonly ChatRequest Hello = new() { Messages = [ChatMessage.User("hello")] };

    // What a careless proxy does: put every request header into the error body.
    private static FakeReply EchoHeaders(FakeRequest r, int status) => new()
    {
        Status = status,
        Body = JsonSerializer.Serialize(new { error = new { message = "bad request, you sent: " + string.Join("; ", r.Headers.Select(h => $"{h.Key}: {h.Value}")) } }),
    };

    private void AssertNoSecretAnywhere(Exception error, params string[] secrets)
    {
        string log = File.Exists(Path.Combine(_dir, "raw.jsonl")) ? File.ReadAllText(Path.Combine(_dir, "raw.jsonl")) : "";
        foreach (string secret in secrets)
        {
            Assert.DoesNotContain(secret, error.Message);
            Assert.DoesNotContain(secret, error.ToString());
            Assert.DoesNotContain(secret, log);
        }
    }

    [Theory]
    [InlineData(401)]
    [InlineData(400)]
    public async Task KeyEchoedByTheServerIsRedacted(int status)
    {
        using var server = new LlmFakeChatServer(r => EchoHeaders(r, status));
        using var client = new ChatCompletionsClient(Options(server.BaseUrl));
        var error = await Assert.ThrowsAsync<ChatApiException>(() => client.CompleteAsync(Hello));
        Assert.Equal("Bearer " + Key, server.Requests.Single().Authorization); // it was sent...
        AssertNoSecretAnywhere(error, Key);                                   // ...and is written nowhere
        Assert.Contains("authorization: Bearer ***", File.ReadAllText(Path.Combine(_dir, "raw.jsonl")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task KeyInARetriedReplyIsRedactedInTheLog()
    {
        using var server = new LlmFakeChatServer(r => r.Number == 0 ? EchoHeaders(r, 503) : FakeReply.Completion("ok " + Key));
        using var client = new ChatCompletionsClient(Options(server.BaseUrl));
        var reply = await client.CompleteAsync(Hello);
        Assert.DoesNotContain(Key, reply.Content);
        Assert.DoesNotContain(Key, File.ReadAllText(Path.Combine(_dir, "raw.jsonl")));
    }

    [Fact]
    public async Task UrlUserInfoIsNeverShown()
    {
        using var server = new LlmFakeChatServer(r => EchoHeaders(r, 401));
        string endpoint = $"http://alice:pa55word-xyz@127.0.0.1:{server.Port}/v1";
        using var client = new ChatCompletionsClient(Options(endpoint) with { ApiKeyEnvironmentVariable = "CIRCUITLENS_TEST_UNSET_" + Guid.NewGuid().ToString("N") });
        var error = await Assert.ThrowsAsync<ChatApiException>(() => client.CompleteAsync(Hello));
        AssertNoSecretAnywhere(error, "pa55word-xyz", "alice:");
        Assert.DoesNotContain("pa55word", client.Url.ToString());
    }

    [Fact]
    public async Task UnreachableEndpointWithUserInfoIsRedacted()
    {
        string endpoint = $"http://bob:hunter2-secret@127.0.0.1:{LlmFakeChatServer.FreePort()}/v1";
        using var client = new ChatCompletionsClient(Options(endpoint) with { MaxRetries = 0 });
        var error = await Assert.ThrowsAsync<ChatApiException>(() => client.CompleteAsync(Hello));
        AssertNoSecretAnywhere(error, "hunter2-secret", Key);
    }

    // A ~250 KB gzip body (256 concatenated members of 1 MiB of zeros) that inflates to 256 MiB: it must be cut at
    // the cap, not inflated, and not retried. The allocation bound leaves room for tests running in parallel.
    [Fact]
    public async Task GzipBombIsCutAtTheCap()
    {
        var member = new MemoryStream();
        using (var gzip = new GZipStream(member, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(new byte[1 << 20]);
        byte[] bomb = [.. Enumerable.Repeat(member.ToArray(), 256).SelectMany(m => m)];
        Assert.True(bomb.Length < 400_000);
        using var server = new LlmFakeChatServer(_ => new FakeReply { RawBody = bomb, Headers = new() { ["Content-Encoding"] = "gzip" } });
        using var client = new ChatCompletionsClient(Options(server.BaseUrl));
        long before = GC.GetTotalAllocatedBytes(precise: false);
        var error = await Assert.ThrowsAsync<ChatApiException>(() => client.CompleteAsync(Hello));
        long allocated = GC.GetTotalAllocatedBytes(precise: false) - before;
        Assert.Contains("larger than", error.Message);
        Assert.Equal(1, server.RequestCount); // a reply over the cap is not retried
        Assert.True(allocated < 128L << 20, $"allocated {allocated >> 20} MiB while reading a capped reply");
    }

    [Fact]
    public async Task HugePlainBodyIsRefused()
    {
        byte[] body = new byte[12 << 20];
        Array.Fill(body, (byte)' ');
        using var server = new LlmFakeChatServer(_ => new FakeReply { RawBody = body });
        using var client = new ChatCompletionsClient(Options(server.BaseUrl));
        var error = await Assert.ThrowsAsync<ChatApiException>(() => client.CompleteAsync(Hello));
        Assert.Contains("larger than", error.Message);
        Assert.Equal(1, server.RequestCount);
    }
}
