// Sharded experiments on the tiny fixture: `induction --shard I/N` and `ioi --shard I/N` (by pairs) and
// `greater-than --shard I/N --shard-by components` each compute their slice of the patching stage, and `merge OUT DIR...`
// finishes the experiment from the joined results: the same files as an unsharded run, with byte-identical
// arrays, CSVs and pair files (patching maps, the task's own analyses). Merge refuses shards of the same
// task run with another seed, and --shard needs --out.
using System.Text.Json.Nodes;
using CircuitLens.Tests.Cli;

namespace CircuitLens.Tests.Sharding;

[Collection(ConsoleCollection.Name)]
public sealed class ExperimentShardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-experiment-shards-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string S(string name) => Path.Combine(_dir, name);

    private string[] Args(string task, params string[] extra) => [task, "--model", CliFixture.Model, "--filter", "none", "--n", "6", "--chunk-size", "2", .. extra];

    private string Unsharded(string task, params string[] extra) => Path.GetDirectoryName(CliRunner.Ok(Args(task, [.. extra, "--runs-dir", S("runs")])).Stdout.Trim())!;

    private static void AssertSameRun(string full, string merged, string[]? runKeys = null)
    {
        static List<string> Files(string dir) => Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Where(f => f != ".lock").Order().ToList();
        var files = Files(full);
        Assert.Equal(files, Files(merged));
        var data = files.Where(f => f.EndsWith(".npy") || f.EndsWith(".csv") || f.EndsWith(".jsonl")).ToList();
        Assert.True(data.Count >= 10, $"only {data.Count} data files");
        foreach (var f in data)
            Assert.True(File.ReadAllBytes(Path.Combine(full, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(merged, f))), $"{f} differs from the unsharded run");
        var a = JsonNode.Parse(File.ReadAllText(Path.Combine(full, "run.json")))!;
        var b = JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "run.json")))!;
        foreach (var key in runKeys ?? ["task", "dataset", "metric", "method", "sweeps", "mean_clean_metric", "mean_corrupt_metric", "results"])
            Assert.Equal(a[key]?.ToJsonString(), b[key]?.ToJsonString());
    }

    [Fact]
    public void InductionShardsByPairsMergeIntoTheUnshardedExperiment()
    {
        string full = Unsharded("induction", "--length", "6");
        for (int i = 0; i < 2; i++) CliRunner.Ok(Args("induction", "--length", "6", "--shard", $"{i}/2", "--out", S($"s{i}")));
        Assert.True(File.Exists(S("s1/shard.json")) && File.Exists(S("s1/patching/head-z.npy")));
        Assert.False(File.Exists(S("s1/report.html")));   // a shard ends at its patching stage
        var merged = CliRunner.Ok("merge", S("merged"), S("s1"), S("s0"));
        Assert.Equal(Path.GetFullPath(S("merged/report.html")), merged.Stdout.Trim());
        AssertSameRun(full, S("merged"));
    }

    [Fact]
    public void GreaterThanShardsByComponentsMergeIntoTheUnshardedExperiment()
    {
        string full = Unsharded("greater-than");
        for (int i = 0; i < 3; i++) CliRunner.Ok(Args("greater-than", "--shard", $"{i}/3", "--shard-by", "components", "--out", S($"c{i}")));
        CliRunner.Ok("merge", S("merged"), S("c0"), S("c2"), S("c1"));
        AssertSameRun(full, S("merged"));
    }

    [Fact]
    public void IoiShardsByPairsMergeIntoTheUnshardedRun()
    {
        string[] Ioi(params string[] extra) => ["ioi", "--model", CliFixture.Model, "--filter", "none", "--n", "6", "--chunk-size", "2", "--sweep", "head-z,resid-pre", "--no-circuit", .. extra];
        string full = Path.GetDirectoryName(CliRunner.Ok(Ioi("--runs-dir", S("runs"))).Stdout.Trim())!;
        for (int i = 0; i < 3; i++) CliRunner.Ok(Ioi("--shard", $"{i}/3", "--out", S($"i{i}")));
        CliRunner.Ok("merge", S("merged"), S("i2"), S("i1"), S("i0"));
        AssertSameRun(full, S("merged"), ["method", "sweeps", "chunk_size", "mean_clean_logit_diff", "files"]);
        Assert.Equal(JsonNode.Parse(File.ReadAllText(Path.Combine(full, "run.json")))!["dataset"]!["sha256"]!.ToJsonString(),
            JsonNode.Parse(File.ReadAllText(S("merged/run.json")))!["dataset"]!["sha256"]!.ToJsonString());
        Assert.True(File.Exists(S("merged/options.json")));   // a resumable ioi run directory
    }

    [Fact]
    public void MergeRefusesShardsOfAnotherSeedAndShardNeedsOut()
    {
        CliRunner.Ok(Args("induction", "--length", "6", "--shard", "0/2", "--out", S("a0")));
        CliRunner.Ok(Args("induction", "--length", "6", "--seed", "1", "--shard", "1/2", "--out", S("b1")));
        CliRunner.AssertUserError(CliRunner.Run("merge", S("m"), S("a0"), S("b1")), "belongs to a different run", "experiment");
        CliRunner.AssertUserError(CliRunner.Run(Args("induction", "--shard", "0/2")), "--shard needs --out");
        CliRunner.AssertUserError(CliRunner.Run(Args("induction", "--out", S("x"))), "--out is for --shard");
        Assert.False(Directory.Exists(S("m")) || Directory.Exists(S("x")));
    }
}
