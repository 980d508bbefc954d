// Tests for LlmIoiGenerator against a real local HTTP server: good and malformed lines mixed, reject counts per
// reason, dedupe across requests, the request budget, seeds, partial results when the endpoint fails, raw log.
using System.Text.Json;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Llm;

namespace CircuitLens.Tests.Tasks;

public sealed class LlmIoiGeneratorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-llmioi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Names = ["John", "Mary", "Tom", "James", "Sarah", "David", "Laura", "Kevin", "Emily", "Paul"];

    // A valid pair line for request r, item i; the place phrase differs per (r, i) so lines never collide by accident.
    internal static string GoodLine(int r, int i)
    {
        string io = Names[(r * 3 + i) % Names.Length], s = Names[(r * 3 + i + 1) % Names.Length];
        string clean = $"When {io} and {s} went to the {Words(r, i)}, {s} gave a ring to";
        string corrupt = $"When {io} and {s} went to the {Words(r, i)}, {io} gave a ring to";
        return JsonSerializer.Serialize(new { clean, corrupt, io, s });
    }

    private static string Words(int r, int i) => string.Concat(Enumerable.Repeat("big ", r)) + string.Concat(Enumerable.Repeat("old ", i)) + "store";

    private LlmIoiOptions Options(string endpoint, int count) => new()
    {
        Chat = new ChatClientOptions
        {
            Endpoint = endpoint,
            Model = "fake-model",
            ApiKeyEnvironmentVariable = "CIRCUITLENS_TEST_UNSET_" + Guid.NewGuid().ToString("N"),
            Timeout = TimeSpan.FromSeconds(5),
            MaxRetries = 2,
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
            MaxConcurrency = 1,
            RawLogPath = Path.Combine(_dir, "raw.jsonl"),
            JitterSeed = 3,
        },
        Count = count,
        PairsPerRequest = 4,
        Seed = 11,
    };

    [Fact]
    public async Task KeepsGoodLinesAndCountsRejectsPerReason()
    {
        string content = string.Join("\n",
            "Sure! Here are the pairs:",                                   // malformed_json
            "```json",                                                     // fence: skipped silently
            GoodLine(0, 0),
            "",
            GoodLine(0, 1),
            GoodLine(0, 0),                                                // duplicate
            "{\"clean\": \"When John and Mary went to the shops, Mary gave the bag to.\", \"corrupt\": \"When John and Mary went to the shops, John gave the bag to.\"}", // trailing_punctuation
            "{\"clean\": \"When John and Mary went to the shops, Mary gave the bag to\", \"corrupt\": \"When John and Mary went to the shops, Mary gave the bag to\"}",  // corrupt_not_s2_swap
            "{\"corrupt\": \"x\"}",                                         // missing_field
            "```",
            "{\"clean\": \"When John and Mary went to the shops, Mary gave");  // cut off by max_tokens: malformed_json
        using var server = new LlmFakeChatServer(_ => FakeReply.Completion(content, "length"));
        var progress = new List<LlmIoiProgress>();
        var result = await LlmIoiGenerator.GenerateAsync(Options(server.BaseUrl, 2), FormatFilterTests.FakeEncode,
            new SyncProgress(progress.Add));

        Assert.Null(result.Error);
        Assert.True(result.ReachedTarget);
        Assert.Equal(1, server.RequestCount);
        Assert.Equal(2, result.Pairs.Count);
        Assert.All(result.Pairs, p =>
        {
            Assert.Equal("llm", p.Template);
            Assert.Equal("s2-swap", p.Corruption);
            Assert.Equal(" " + p.Io, p.Answer);
            Assert.Equal(" " + p.S, p.Wrong);
            Assert.Equal(1, p.IoPos);   // When| io| and| s| ...
            Assert.Equal(3, p.S1Pos);
            Assert.NotNull(p.EndPos);
        });
        // The target was reached after the second good line, so later lines were not judged.
        Assert.Equal(new Dictionary<string, int> { ["malformed_json"] = 1 }, result.RejectCounts);
        Assert.Equal(1, result.Rejections[0].LineNumber);
        Assert.Equal(new LlmIoiProgress(2, 2, 1, 1, Options(server.BaseUrl, 2).ResolvedMaxRequests), progress.Single());
    }

    [Fact]
    public async Task JudgesEveryLineWhenShortOfTarget()
    {
        string content = string.Join("\n",
            "Sure! Here are the pairs:",
            GoodLine(0, 0),
            GoodLine(0, 0),
            "{\"clean\": \"When John and Mary went to the shops, Mary gave the bag to.\", \"corrupt\": \"When John and Mary went to the shops, John gave the bag to.\"}",
            "{\"clean\": \"When John and Mary went to the shops, Mary gave the bag to\", \"corrupt\": \"When John and Mary went to the shops, Mary gave the bag to\"}",
            "{\"corrupt\": \"x\"}",
            "{\"clean\": \"When John and Mary went to the shops, Mary gave");
        // Every request returns the same reply, so from the second request on the good line is a duplicate.
        using var server = new LlmFakeChatServer(_ => FakeReply.Completion(content));
        var result = await LlmIoiGenerator.GenerateAsync(Options(server.BaseUrl, 3) with { MaxRequests = 2 }, null);

        Assert.Null(result.Error);
        Assert.False(result.ReachedTarget);
        Assert.Equal(2, server.RequestCount);
        Assert.Equal(2, result.Requests);
        Assert.Single(result.Pairs);
        Assert.Equal(new Dictionary<string, int>
        {
            ["malformed_json"] = 4, ["missing_field"] = 2, ["trailing_punctuation"] = 2,
            ["corrupt_not_s2_swap"] = 2, ["duplicate"] = 3,
        }, result.RejectCounts);

        // One raw log line per HTTP attempt, with the response body kept verbatim.
        var log = File.ReadAllLines(result.RawLogPath!).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, log.Count);
        Assert.Equal([0, 1], log.Select(e => e.GetProperty("request").GetInt32()));
        Assert.All(log, e => Assert.Contains("Sure! Here are the pairs:", e.GetProperty("body").GetString()));
    }

    [Fact]
    public async Task RequestsUntilTargetAndStopsExactlyThere()
    {
        using var server = new LlmFakeChatServer(r => FakeReply.Completion(
            string.Join("\n", Enumerable.Range(0, 3).Select(i => GoodLine(r.Number, i)))));
        var options = Options(server.BaseUrl, 7) with { Chat = Options(server.BaseUrl, 7).Chat with { MaxConcurrency = 2 } };
        var result = await LlmIoiGenerator.GenerateAsync(options, FormatFilterTests.FakeEncode);

        Assert.True(result.ReachedTarget);
        Assert.Equal(7, result.Pairs.Count);
        Assert.Equal(3, server.RequestCount);
        Assert.Equal(7, result.Pairs.Select(p => p.Clean).Distinct().Count());
        Assert.Empty(result.RejectCounts);
        // Seeds go to the server as seed + request index; the prompt asks for the configured number of pairs.
        var bodies = server.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal([11, 12, 13], bodies.Select(b => b.GetProperty("seed").GetInt32()).Order());
        // The last request asks only for what is missing (1) plus a margin for rejects (1).
        var asks = bodies.Select(b => b.GetProperty("messages")[1].GetProperty("content").GetString()!).ToList();
        Assert.Equal(2, asks.Count(a => a.StartsWith("Write 4 new pairs", StringComparison.Ordinal)));
        Assert.Equal(1, asks.Count(a => a.StartsWith("Write 2 new pairs", StringComparison.Ordinal)));
    }

    [Fact]
    public void SameSeedGivesSamePrompts()
    {
        var first = LlmIoiPrompt.Build(5, new Random(HashCode.Combine(7, 0)));
        var second = LlmIoiPrompt.Build(5, new Random(HashCode.Combine(7, 0)));
        Assert.Equal(first, second);
        // The examples in the prompt are themselves accepted by the filter.
        var filter = new FormatFilter(FormatFilterTests.FakeEncode);
        foreach (var line in LlmIoiPrompt.ExampleLines(new Random(5)))
            Assert.True(filter.CheckLine(line).Accepted, line);
    }

    [Fact]
    public async Task KeepsAcceptedPairsWhenTheEndpointFailsLater()
    {
        using var server = new LlmFakeChatServer(r => r.Number == 0
            ? FakeReply.Completion(GoodLine(0, 0) + "\n" + GoodLine(0, 1))
            : FakeReply.Error(401, "Invalid API key"));
        var result = await LlmIoiGenerator.GenerateAsync(Options(server.BaseUrl, 10), null);

        Assert.Equal(2, result.Pairs.Count);
        Assert.False(result.ReachedTarget);
        Assert.NotNull(result.Error);
        Assert.Contains("401", result.Error);
        Assert.Contains("Invalid API key", result.Error);
        Assert.Equal(2, server.RequestCount); // 401 is not retried
    }

    [Fact]
    public async Task StructuredRepliesAreJudgedPairByPair()
    {
        using var server = new LlmFakeChatServer(_ => FakeReply.Completion(
            "{\"pairs\": [" + GoodLine(0, 0) + ",\n " + GoodLine(0, 1) + ", {\"clean\": \"x\"}]}"));
        var result = await LlmIoiGenerator.GenerateAsync(Options(server.BaseUrl, 2) with { MaxRequests = 1 }, FormatFilterTests.FakeEncode);

        var body = JsonDocument.Parse(server.Requests.Single().Body).RootElement;
        var format = body.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("ioi_pairs", format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.Equal(2, result.Pairs.Count);
        Assert.Empty(result.Rejections); // the target was reached before the malformed third pair
    }

    [Fact]
    public async Task ServerWithoutStructuredOutputGetsPlainRequests()
    {
        // Like an older llama.cpp: 400 for any response_format it does not know.
        using var server = new LlmFakeChatServer(r => r.Body.Contains("json_schema", StringComparison.Ordinal)
            ? FakeReply.Error(400, "response_format type json_schema is not supported")
            : FakeReply.Completion(GoodLine(r.Number, 0) + "\n" + GoodLine(r.Number, 1)));
        var result = await LlmIoiGenerator.GenerateAsync(Options(server.BaseUrl, 4) with { PairsPerRequest = 2 }, FormatFilterTests.FakeEncode);

        Assert.Null(result.Error);
        Assert.Equal(4, result.Pairs.Count);
        // First request: refused with the schema, sent again without; the second request goes out plain at once.
        var bodies = server.Requests.OrderBy(r => r.Number).Select(r => r.Body.Contains("json_schema", StringComparison.Ordinal)).ToList();
        Assert.Equal([true, false, false], bodies);
    }

    [Fact]
    public async Task UnreachableEndpointReturnsErrorAndNoPairs()
    {
        var result = await LlmIoiGenerator.GenerateAsync(
            Options($"http://127.0.0.1:{LlmFakeChatServer.FreePort()}/v1", 3), null);
        Assert.Empty(result.Pairs);
        Assert.Contains("connection failed", result.Error);
        Assert.Equal(3, result.Attempts); // first try + 2 retries
    }

    private sealed class SyncProgress(Action<LlmIoiProgress> report) : IProgress<LlmIoiProgress>
    {
        public void Report(LlmIoiProgress value) => report(value);
    }
}
