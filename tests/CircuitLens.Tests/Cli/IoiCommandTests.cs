// `circuitlens ioi` end to end on the tiny model: the run directory's artefacts, the correctness
// filter emptying the dataset (a user error that keeps the earlier stages), resuming a run from its
// saved stages, and two runs in the same second getting separate directories.
using System.Text.Json;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class IoiCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-cliioi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private CliResult Ioi(string runsDir, params string[] extra) =>
        CliRunner.Run(["ioi", "--model", CliFixture.Model, "--n", "12", "--runs-dir", Path.Combine(_dir, runsDir), "--sweep", "head-z", .. extra]);

    private string OnlyRunDirectory(string runsDir) => Assert.Single(Directory.GetDirectories(Path.Combine(_dir, runsDir)));

    [Fact]
    public void WritesEveryStageAndTheReport()
    {
        var result = Ioi("runs", "--filter", "none");
        Assert.True(result.Exit == 0, result.ToString());
        string run = OnlyRunDirectory("runs");
        Assert.Equal(Path.GetFullPath(Path.Combine(run, "report.html")), result.Stdout.Trim());

        foreach (var file in new[] { "pairs.jsonl", "formatted.jsonl", "options.json", "head-z.npy", "report.html", "run.json" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        Assert.Equal(12, IoiJsonl.Read(Path.Combine(run, "pairs.jsonl")).Count);
        Assert.Equal(new[] { 12, 3, 4 }, NpyFile.Read(Path.Combine(run, "head-z.npy")).Shape);
        var options = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "options.json"))).RootElement;
        Assert.Equal(12, options.GetProperty("N").GetInt32());
        Assert.Equal("none", options.GetProperty("Filter").GetString());
        Assert.False(File.Exists(Path.Combine(run, "kept.jsonl")), "--filter none skips the correctness filter");
        PatchCommandTests.AssertSelfContainedReport(Path.Combine(run, "report.html"));
    }

    [Fact]
    public void CorrectnessFilterKeepingNothingIsAUserErrorAndKeepsEarlierArtefacts()
    {
        // the tiny model is random: it never ranks the indirect object first
        var result = Ioi("runs", "--filter", "top1");
        CliRunner.AssertUserError(result, "empty after the correctness filter", "filter_model.json");
        string run = OnlyRunDirectory("runs");
        foreach (var file in new[] { "pairs.jsonl", "formatted.jsonl", "options.json", "filter_model.json", "kept.jsonl" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        Assert.False(File.Exists(Path.Combine(run, "report.html")));
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "filter_model.json"))).RootElement;
        Assert.Equal(12, report.GetProperty("total").GetInt32());
        Assert.Equal(0, report.GetProperty("kept").GetInt32());

        // resuming reaches the same verdict from the saved stages instead of a confusing "malformed file"
        var resumed = CliRunner.Run("ioi", "--resume", run);
        CliRunner.AssertUserError(resumed, "empty after the correctness filter");
        Assert.Contains("reusing", resumed.Stderr);
    }

    [Fact]
    public void ResumeOfACompletedRunReusesItsStages()
    {
        Assert.True(Ioi("runs", "--filter", "none") is { Exit: 0 });
        string run = OnlyRunDirectory("runs");
        string pairsBefore = File.ReadAllText(Path.Combine(run, "pairs.jsonl"));
        var first = NpyFile.Read(Path.Combine(run, "head-z.npy"));

        // the saved options win: no --model here, and --n on the command line would be ignored
        var result = CliRunner.Run("ioi", "--resume", run, "--n", "3");
        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("[1/4] dataset: reusing", result.Stderr);
        Assert.Contains("[2/4] format filter: reusing", result.Stderr);
        Assert.Equal(pairsBefore, File.ReadAllText(Path.Combine(run, "pairs.jsonl")));
        TensorAssert.Close(first, NpyFile.Read(Path.Combine(run, "head-z.npy")), "head-z after resume", atol: 0, rtol: 0);
        Assert.Single(Directory.GetDirectories(Path.Combine(_dir, "runs")));
    }

    [Fact]
    public void ResumeOfADirectoryWithoutOptionsIsAUserError()
    {
        CliRunner.AssertUserError(CliRunner.Run("ioi", "--resume", _dir), "options.json");
    }

    [Fact]
    public void RunsStartedInTheSameSecondGetSeparateDirectories()
    {
        // occupy the run names of the next few seconds, as a run started just before would have
        string runs = Path.Combine(_dir, "runs");
        var now = DateTime.Now;
        var taken = Enumerable.Range(0, 10).Select(s => Path.Combine(runs, $"ioi-{now.AddSeconds(s):yyyyMMdd-HHmmss}")).ToList();
        foreach (var dir in taken)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "pairs.jsonl"), "not this run's pairs\n");
        }

        var result = Ioi("runs", "--filter", "none");
        Assert.True(result.Exit == 0, result.ToString());
        string run = Path.GetDirectoryName(result.Stdout.Trim())!;
        Assert.DoesNotContain(Path.GetFullPath(run), taken.Select(Path.GetFullPath));
        Assert.Equal(12, IoiJsonl.Read(Path.Combine(run, "pairs.jsonl")).Count);
        Assert.All(taken, dir => Assert.Equal("not this run's pairs\n", File.ReadAllText(Path.Combine(dir, "pairs.jsonl"))));
    }
}
