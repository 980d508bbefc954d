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

    [Fact]
    public void RejectsBadArgumentsWithOneLine()
    {
        var (exit, stderr) = Run("dataset", "ioi-llm", "--endpoint", "not a url", "--model", "m", "--out", Path.Combine(_dir, "x.jsonl"));
        Assert.Equal(1, exit);
        Assert.StartsWith("error: endpoint \"not a url\" is not an http(s) URL", stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "x.jsonl")));
    }
}
