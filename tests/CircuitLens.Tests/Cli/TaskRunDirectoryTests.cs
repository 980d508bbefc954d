// The task experiment commands (`greater-than`, `acronyms`, `induction`) claim their run directory as
// `ioi` does: created atomically and locked for the run, so two runs started together in one --runs-dir
// get two directories, each holding its own dataset; Ctrl+C ends a run with exit 130 and one line naming
// the unfinished directory. Exercised through `induction` on the tiny fixture (the three share the code).
using System.Diagnostics;
using System.Text.Json;
using CircuitLens.Tasks.Induction;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

public sealed class TaskRunDirectoryTests : IDisposable
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(120);

    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-taskruns-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] InductionArgs(string runsDir, int seed, int n = 4, int chunk = 4) =>
        ["induction", "--model", CliFixture.Model, "--n", n.ToString(), "--seed", seed.ToString(), "--filter", "none", "--chunk-size", chunk.ToString(), "--runs-dir", runsDir];

    [Fact]
    public void TwoRunsStartedTogetherGetTwoDirectoriesWithTheirOwnPairs()
    {
        string runs = Path.Combine(_dir, "runs");
        using var a = CliProcess.Start(InductionArgs(runs, seed: 1));
        using var b = CliProcess.Start(InductionArgs(runs, seed: 2));
        var (ra, rb) = (a.Wait(s_limit), b.Wait(s_limit));
        Assert.True(ra.Exit == 0, ra.ToString());
        Assert.True(rb.Exit == 0, rb.ToString());
        var dirs = Directory.GetDirectories(runs);
        Assert.Equal(2, dirs.Length);
        // each run reports its own directory's report
        Assert.Equal(dirs.Select(Path.GetFullPath).Order(), new[] { ra, rb }.Select(r => Path.GetDirectoryName(r.Stdout.Trim())!).Order());
        var seeds = new List<int>();
        foreach (var d in dirs)
        {
            using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(d, "run.json")));
            int seed = run.RootElement.GetProperty("dataset").GetProperty("seed").GetInt32();
            seeds.Add(seed);
            // the pairs in this directory are the ones its own seed generates, not the other run's
            var expected = InductionDatasetGenerator.Generate(new InductionDatasetOptions { N = 4, Seed = seed, Length = 20, Tokenizer = TinyGpt2.Model.Tokenizer });
            var cleanIds = File.ReadLines(Path.Combine(d, "pairs.jsonl")).Where(l => l.Length > 0)
                .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("clean_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToList();
            Assert.Equal(expected.Select(p => p.CleanIds), cleanIds);
        }
        Assert.Equal([1, 2], seeds.Order());
    }

    [Fact]
    public void CtrlCEndsWith130AndOneLineNamingTheUnfinishedDirectory()
    {
        string runs = Path.Combine(_dir, "runs");
        using var p = CliProcess.Start(InductionArgs(runs, seed: 3, n: 60, chunk: 1));
        var clock = Stopwatch.StartNew();
        // the first patching chunk is done: the signal arrives mid-run (59 chunks and the outputs are left)
        while (!(Directory.Exists(runs) && Directory.GetDirectories(runs).Any(d =>
                   Directory.Exists(Path.Combine(d, "patching", ".checkpoint")) && Directory.EnumerateFiles(Path.Combine(d, "patching", ".checkpoint"), "complete", SearchOption.AllDirectories).Any()))
               && !p.HasExited)
        {
            if (clock.Elapsed > s_limit) throw new TimeoutException("the run never reached its first chunk");
            Thread.Sleep(20);
        }
        p.Interrupt();
        var result = p.Wait(s_limit);
        Assert.True(result.Exit == 130, result.ToString());
        string run = Assert.Single(Directory.GetDirectories(runs));
        string line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: interrupted", line);
        Assert.Contains(Path.GetFullPath(run), line);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(File.Exists(Path.Combine(run, "run.json")), "an interrupted run does not claim to be finished");
    }
}
