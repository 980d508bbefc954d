// End-to-end tests of `circuitlens dataset ioi-llm` through Program.Main against a real local HTTP server:
// files written (pairs, <out>.rejects.json, raw log), exit codes, and one clear error line when unreachable.
using System.Text.Json;
using CircuitLens.Cli;

namespace CircuitLens.Tests.Tasks;

[Collection(ConsoleCollection.Name)]
public sealed class LlmCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-llmcli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static (int Exit, string Stderr) Run(params string[] args)
    {
        var saved = Console.Error;
        var capture = new StringWriter();
        Console.SetError(capture);
        try { return (Program.Main(args), capture.ToString()); }
        finally { Console.SetError(saved); }
    }

    [Fact]
    public void WritesPairsRejectReportAndRawLog()
    {
        string reply = string.Join("\n", "Here you go:", LlmIoiGeneratorTests.GoodLine(0, 0), LlmIoiGeneratorTests.GoodLine(0, 1),
            LlmIoiGeneratorTests.GoodLine(0, 2));
        using var server = new LlmFakeChatServer(_ => FakeReply.Completion(reply));
        string output = Path.Combine(_dir, "pairs.jsonl");
        var (exit, stderr) = Run("dataset", "ioi-llm", "--endpoint", server.BaseUrl, "--model", "fake", "--n", "3",
            "--retries", "0", "--seed", "5", "--out", output);

        Assert.True(exit == 0, stderr);
        var pairs = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, pairs.Count);
        Assert.All(pairs, p => Assert.Equal("llm", p.GetProperty("template").GetString()));
        var report = JsonDocument.Parse(File.ReadAllText(output + ".rejects.json")).RootElement;
        Assert.Equal(3, report.GetProperty("accepted").GetInt32());
        Assert.Equal(1, report.GetProperty("by_reason").GetProperty("malformed_json").GetInt32());
        Assert.Equal("Here you go:", report.GetProperty("examples").GetProperty("malformed_json")[0].GetProperty("text").GetString());
        Assert.Single(File.ReadAllLines(output + ".raw.jsonl"));
        Assert.Contains("malformed_json", stderr);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp-*"));
    }

    [Fact]
    public void UnreachableEndpointPrintsOneErrorLineAndStillWritesOutput()
    {
        string output = Path.Combine(_dir, "pairs.jsonl");
        string raw = Path.Combine(_dir, "raw.jsonl");
        var (exit, stderr) = Run("dataset", "ioi-llm", "--endpoint", $"http://127.0.0.1:{LlmFakeChatServer.FreePort()}/v1",
            "--model", "fake", "--n", "5", "--retries", "0", "--out", output, "--raw", raw);

        Assert.Equal(1, exit);
        var errorLines = stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Single(errorLines);
        Assert.Contains("connection failed", errorLines[0]);
        Assert.True(File.Exists(output));
        Assert.Empty(File.ReadAllLines(output));
        Assert.Single(File.ReadAllLines(raw));
    }

    // Issue 11 item 2: the key (environment) and the URL user-info are in no file and not on stderr, even when
    // the server echoes the request headers into the reply that ends up among the rejects.
    [Fact]
    public void SecretsAppearInNoOutput()
    {
        const string key = "sk-CLI-SECRET-987654321";
        string keyVar = "CIRCUITLENS_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(keyVar, key);
        try
        {
            using var server = new LlmFakeChatServer(r => r.Number == 0
                ? FakeReply.Completion(LlmIoiGeneratorTests.GoodLine(0, 0) + "\nheaders: " + string.Join("; ", r.Headers.Select(h => $"{h.Key}={h.Value}")))
                : FakeReply.Error(401, "rejected key " + r.Authorization));
            string output = Path.Combine(_dir, "pairs.jsonl");
            string endpoint = $"http://carol:url-pass-4242@127.0.0.1:{server.Port}/v1";
            var (exit, stderr) = Run("dataset", "ioi-llm", "--endpoint", endpoint, "--model", "fake", "--n", "3", "--retries", "0",
                "--api-key-env", keyVar, "--concurrency", "1", "--out", output);

            Assert.Equal(1, exit); // the second request's 401 stops the run
            Assert.Equal("Bearer " + key, server.Requests.First().Authorization);
            var texts = Directory.GetFiles(_dir).Select(File.ReadAllText).Append(stderr).ToList();
            Assert.Equal(4, texts.Count); // pairs, rejects report, raw log, stderr
            foreach (string secret in new[] { key, "url-pass-4242", "carol:" })
                Assert.All(texts, t => Assert.DoesNotContain(secret, t));
            Assert.Contains("***", File.ReadAllText(output + ".rejects.json"));
        }
        finally { Environment.SetEnvironmentVariable(keyVar, null); }
    }

    // Issue 11 item 9: Ctrl+C while a request is in flight aborted the process (exit -6, stack trace). Ctrl+C
    // reaches a command as its cancellation token (System.CommandLine cancels it on SIGINT), so the token is
    // cancelled here while the server sits on the request.
    [Fact]
    public async Task CtrlCDuringARequestExits130WithOneLine()
    {
        using var server = new LlmFakeChatServer(_ => FakeReply.Completion("late") with { Delay = TimeSpan.FromSeconds(30) });
        string output = Path.Combine(_dir, "pairs.jsonl");
        var parse = Program.BuildRoot().Parse(["dataset", "ioi-llm", "--endpoint", server.BaseUrl, "--model", "fake", "--n", "3",
            "--retries", "0", "--out", output]);
        var saved = Console.Error;
        var capture = new StringWriter();
        Console.SetError(capture);
        int exit;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            using var cts = new CancellationTokenSource();
            var run = parse.InvokeAsync(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token);
            while (server.RequestCount == 0 && clock.Elapsed < TimeSpan.FromSeconds(20) && !run.IsCompleted) await Task.Delay(20);
            Assert.True(server.RequestCount > 0, "the request never arrived: " + capture);
            cts.Cancel();
            exit = await run;
        }
        finally { Console.SetError(saved); }
        string err = capture.ToString();
        Assert.True(exit == 130, $"exit {exit}\n{err}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "cancellation waited for the reply");
        Assert.Single(err.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("interrupted", err);
        Assert.DoesNotContain("   at ", err);
        Assert.False(File.Exists(output)); // nothing half-written
    }

    [Fact]
    public void RejectsBadArgumentsWithOneLine()
    {
        var (exit, stderr) = Run("dataset", "ioi-llm", "--endpoint", "not a url", "--model", "m", "--out", Path.Combine(_dir, "x.jsonl"));
        Assert.Equal(1, exit);
        Assert.StartsWith("error: endpoint \"not a url\" is not an http(s) URL", stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "x.jsonl")));
    }
}
