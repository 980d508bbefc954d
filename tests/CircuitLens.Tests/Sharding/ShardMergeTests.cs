// `patch --shard I/N` + `merge` end to end on the tiny fixture: three shards run as parallel local
// processes and merged (in another process) give byte-identical arrays, CSVs and pictures to the
// unsharded run's process (run.json and report.html differ only in timings); so do logit-diff-to-max pairs
// with --layers; merge refuses incomplete, duplicated or mixed sets of shards.
using System.Diagnostics;
using System.Text.Json.Nodes;
using CircuitLens.Tests.Cli;

namespace CircuitLens.Tests.Sharding;

[Collection(ConsoleCollection.Name)]
public sealed class ShardMergeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-shards-").FullName;
    private const string Sweeps = "head-z,resid-pre,head-z-by-pos";

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Pairs => File.Exists(Path.Combine(_dir, "pairs.jsonl")) ? Path.Combine(_dir, "pairs.jsonl") : CliFixture.WritePairs(_dir);

    private string[] PatchArgs(string outName, string sweeps, params string[] extra) =>
        ["patch", "--model", CliFixture.Model, "--pairs", Pairs, "--sweep", sweeps, "--no-bos", "--chunk-size", "1", "--out", Path.Combine(_dir, outName), .. extra];

    [Fact]
    public void ThreeParallelShardProcessesMergeToTheUnshardedRun()
    {
        // every run is its own process, as on a cluster (SkiaSharp numbers SVG clip paths per process, so
        // two renderings in one process would differ in those ids only)
        var processes = Enumerable.Range(0, 3).Select(i => StartCli(PatchArgs($"shard{i}", Sweeps, "--method", "both", "--shard", $"{i}/3")))
            .Append(StartCli(PatchArgs("full", Sweeps, "--method", "both"))).ToList();
        foreach (var p in processes) WaitOk(p);
        // shard 1 holds pair 1 only (4 chunks of 1 over 3 shards: 1, 1, 2 pairs)
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "shard1", "shard.json")))!;
        Assert.Equal((1, 1, 4), (manifest["pairs"]!["start"]!.GetValue<int>(), manifest["pairs"]!["count"]!.GetValue<int>(), manifest["pairs"]!["total"]!.GetValue<int>()));

        WaitOk(StartCli(["merge", Path.Combine(_dir, "merged"), Path.Combine(_dir, "shard2"), Path.Combine(_dir, "shard0"), Path.Combine(_dir, "shard1")]));

        string full = Path.Combine(_dir, "full"), merged = Path.Combine(_dir, "merged");
        var files = Directory.GetFiles(full, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(full, f)).Order().ToList();
        Assert.Equal(files, Directory.GetFiles(merged, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(merged, f)).Order().ToList());
        Assert.Contains(Path.Combine("attribution", "head-z-by-pos.npy"), files);
        int compared = 0;
        foreach (var f in files.Where(f => !f.EndsWith("run.json") && !f.EndsWith("report.html")))
        {
            Assert.True(File.ReadAllBytes(Path.Combine(full, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(merged, f))), $"{f} differs from the unsharded run");
            compared++;
        }
        Assert.True(compared >= 30, $"only {compared} files compared");
        var a = JsonNode.Parse(File.ReadAllText(Path.Combine(full, "run.json")))!;
        var b = JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "run.json")))!;
        foreach (var key in new[] { "dataset", "model", "method", "sweeps", "chunk_size", "prepend_bos", "mean_clean_logit_diff", "mean_corrupt_logit_diff", "files" })
            Assert.Equal(a[key]!.ToJsonString(), b[key]!.ToJsonString());
    }

    [Fact]
    public void LogitDiffToMaxPairsWithALayerSubsetMergeToTheUnshardedNumbers()
    {
        // the pair file's metric and --layers travel through shard.json: the merge writes logit-diff-to-max
        // baselines and a 2-layer axis, with the same bytes as the unsharded run
        string pairs = Path.Combine(_dir, "prob.jsonl");
        File.WriteAllLines(pairs, CircuitLens.Tests.Model.TinyGpt2.Pairs.Select(p => new JsonObject
        {
            ["clean"] = p.Clean, ["corrupt"] = p.Corrupt, ["metric"] = "logit-diff-to-max",
            ["answer"] = p.Answer, ["candidates"] = new JsonArray(p.Answer, p.Wrong),
        }.ToJsonString()));
        string[] Args(string outName, params string[] extra) =>
            ["patch", "--model", CliFixture.Model, "--pairs", pairs, "--sweep", "head-z,resid-pre", "--layers", "1-2", "--no-bos", "--chunk-size", "1", "--no-plots", "--out", Path.Combine(_dir, outName), .. extra];
        CliRunner.Ok(Args("full"));
        for (int i = 0; i < 2; i++) CliRunner.Ok(Args($"p{i}", "--shard", $"{i}/2"));
        CliRunner.Ok("merge", Path.Combine(_dir, "merged"), Path.Combine(_dir, "p1"), Path.Combine(_dir, "p0"), "--no-plots");

        string full = Path.Combine(_dir, "full"), merged = Path.Combine(_dir, "merged");
        var files = Directory.GetFiles(full, "*.npy").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(files, Directory.GetFiles(merged, "*.npy").Select(Path.GetFileName).Order().ToList());
        Assert.Contains("clean_metric.npy", files);
        Assert.DoesNotContain("clean_logit_diff.npy", files);
        foreach (var f in files.Concat(["head-z_mean.csv", "resid-pre_mean.csv"]))
            Assert.True(File.ReadAllBytes(Path.Combine(full, f!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(merged, f!))), $"{f} differs from the unsharded run");
        Assert.Equal(2, CircuitLens.Tensors.NpyFile.Read(Path.Combine(merged, "head-z.npy")).Dim(1));
        var a = JsonNode.Parse(File.ReadAllText(Path.Combine(full, "run.json")))!;
        var b = JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "run.json")))!;
        foreach (var key in new[] { "dataset", "metric", "layers", "sweeps", "mean_clean_metric", "mean_corrupt_metric", "files" })
            Assert.Equal(a[key]!.ToJsonString(), b[key]!.ToJsonString());
    }

    [Fact]
    public void MergeRefusesMissingDuplicatedAndForeignShards()
    {
        for (int i = 0; i < 2; i++) CliRunner.Ok(PatchArgs($"s{i}", "head-z", "--shard", $"{i}/2", "--no-plots"));
        CliRunner.Ok(PatchArgs("other1", "resid-pre", "--shard", "1/2", "--no-plots"));
        string S(string name) => Path.Combine(_dir, name);

        var missing = CliRunner.Run("merge", S("m1"), S("s0"));
        Assert.Equal(1, missing.Exit);
        Assert.Contains("missing shard(s) 1/2", Assert.Single(missing.ErrorLines));

        var duplicated = CliRunner.Run("merge", S("m2"), S("s0"), S("s1"), S("s1"));
        Assert.Equal(1, duplicated.Exit);
        Assert.Contains("given twice", Assert.Single(duplicated.ErrorLines));

        var foreign = CliRunner.Run("merge", S("m3"), S("s0"), S("other1"));
        Assert.Equal(1, foreign.Exit);
        Assert.Contains("different run", Assert.Single(foreign.ErrorLines));
        Assert.Contains("sweeps", foreign.ErrorLines[0]);

        var notShard = CliRunner.Run("merge", S("m4"), S("s0"), _dir);
        Assert.Equal(1, notShard.Exit);
        Assert.Contains("shard.json", Assert.Single(notShard.ErrorLines));
        Assert.False(Directory.Exists(S("m1")) || Directory.Exists(S("m2")) || Directory.Exists(S("m3")));
    }

    [Fact]
    public void MergeRefusesAnotherModelAndTooManyShards()
    {
        for (int i = 0; i < 2; i++) CliRunner.Ok(PatchArgs($"s{i}", "head-z", "--shard", $"{i}/2", "--no-plots"));
        string other = Path.Combine(_dir, "other-model");
        Directory.CreateDirectory(other);
        var weights = CircuitLens.Tests.Model.TinyGpt2.Model.Weights;
        var changed = new CircuitLens.Model.Gpt2Weights(weights.Config);
        weights.Buffer.CopyTo(changed.Buffer, 0);
        changed.Buffer[^1] += 1f;
        CircuitLens.Tensors.SafetensorsWriter.Write(Path.Combine(other, "model.safetensors"),
            changed.All.Select(v => KeyValuePair.Create(v.Name, new CircuitLens.Tensors.Tensor(changed.Read(v).ToArray(), v.Shape))), null);
        File.Copy(Path.Combine(CliFixture.Model, "config.json"), Path.Combine(other, "config.json"));
        var wrongModel = CliRunner.Run("merge", Path.Combine(_dir, "m"), Path.Combine(_dir, "s0"), Path.Combine(_dir, "s1"), "--model", other);
        Assert.Equal(1, wrongModel.Exit);
        Assert.Contains("not the one the shards were computed with", Assert.Single(wrongModel.ErrorLines));

        var tooMany = CliRunner.Run(PatchArgs("s9", "head-z", "--shard", "4/5"));
        Assert.Equal(1, tooMany.Exit);
        Assert.Contains("5 shards for only 4 chunk(s)", Assert.Single(tooMany.ErrorLines));
    }

    private static void WaitOk(Process p)
    {
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"`circuitlens {string.Join(' ', p.StartInfo.ArgumentList.Skip(1))}` exit {p.ExitCode}: {err}");
    }

    private static Process StartCli(string[] args)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "CircuitLens.Cli.dll");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(cli);
        foreach (var a in args) info.ArgumentList.Add(a);
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        return p;
    }
}
