// End-to-end tests of `circuitlens filter format` through Program.Main: kept rows, rejects with reasons,
// the report, the per-reason table on stderr, and the error for a missing input.
using System.Text.Json;

namespace CircuitLens.Tests.Tasks;

[Collection(ConsoleCollection.Name)]
public sealed class FormatFilterCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-filtercli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void FiltersUserFileAndSavesReasons()
    {
        string input = Path.Combine(_dir, "rows.jsonl");
        File.WriteAllLines(input,
        [
            """{"clean": "When John and Mary went to the shops, Mary gave the bag to", "corrupt": "When John and Mary went to the shops, John gave the bag to"}""",
            """{"clean": "When Tom and James went to the park, James gave the ball to", "corrupt": "When Tom and James went to the park, Tom gave the ball to", "answer": " Tom", "wrong": " James", "extra": 1}""",
            "not json",
            """{"clean": "When John and Mary went to the shops, Mary gave the bag to John", "corrupt": "When John and Mary went to the shops, John gave the bag to John"}""",
            """{"clean": "When John and Mary went to the shops, Mary gave the bag to", "corrupt": "When John and Mary went to the shops, John gave the bag to"}""",
        ]);
        string kept = Path.Combine(_dir, "kept.jsonl"), rejects = Path.Combine(_dir, "rejects.jsonl"), report = Path.Combine(_dir, "report.json");
        var (exit, stderr) = LlmCommandTests.Run("filter", "format", "--in", input, "--out", kept, "--rejects", rejects, "--report", report);

        Assert.True(exit == 0, stderr);
        var keptRows = File.ReadAllLines(kept).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["John", "Tom"], keptRows.Select(r => r.GetProperty("io").GetString()));
        Assert.Equal(" James", keptRows[1].GetProperty("wrong").GetString());
        var rejectRows = File.ReadAllLines(rejects).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([3, 4, 5], rejectRows.Select(r => r.GetProperty("line").GetInt32()));
        Assert.Equal(["malformed_json", "trailing_answer", "duplicate"], rejectRows.Select(r => r.GetProperty("reason").GetString()));
        var summary = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.Equal(2, summary.GetProperty("accepted").GetInt32());
        Assert.Equal(3, summary.GetProperty("rejected").GetInt32());
        Assert.Equal(1, summary.GetProperty("by_reason").GetProperty("trailing_answer").GetInt32());
        Assert.Contains("kept 2 of 5 rows", stderr);
        Assert.Contains("trailing_answer", stderr);
    }

    [Fact]
    public void MissingInputIsOneErrorLine()
    {
        string kept = Path.Combine(_dir, "kept.jsonl");
        var (exit, stderr) = LlmCommandTests.Run("filter", "format", "--in", Path.Combine(_dir, "nope.jsonl"), "--out", kept);
        Assert.Equal(1, exit);
        Assert.StartsWith("error: input file not found:", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.False(File.Exists(kept));
    }
}
