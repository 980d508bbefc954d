// `patch --shard I/N --shard-by components` + `merge` on the tiny fixture: shards that each patch every
// pair but only their zig-zag slice of the layers merge to byte-identical arrays and CSVs of the
// unsharded run (exact and attribution, head, position and neuron sweeps, with and without --layers);
// merge refuses a mix of pairs and components shards, a missing one, and a shard whose layers are not its slice.
using System.Text.Json.Nodes;
using CircuitLens.Sharding;
using CircuitLens.Tests.Cli;

namespace CircuitLens.Tests.Sharding;

[Collection(ConsoleCollection.Name)]
public sealed class ComponentShardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-component-shards-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Pairs => File.Exists(Path.Combine(_dir, "pairs.jsonl")) ? Path.Combine(_dir, "pairs.jsonl") : CliFixture.WritePairs(_dir);
    private string S(string name) => Path.Combine(_dir, name);

    private string[] PatchArgs(string outName, string sweeps, params string[] extra) =>
        ["patch", "--model", CliFixture.Model, "--pairs", Pairs, "--sweep", sweeps, "--no-bos", "--chunk-size", "2", "--no-plots", "--out", S(outName), .. extra];

    private void AssertSameFiles(string full, string merged, int atLeast)
    {
        var files = Directory.GetFiles(full, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(full, f))
            .Where(f => f.EndsWith(".npy") || f.EndsWith(".csv") || f.EndsWith("agreement.json")).Order().ToList();
        Assert.True(files.Count >= atLeast, $"only {files.Count} files to compare");
        foreach (var f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(full, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(merged, f))), $"{f} differs from the unsharded run");
    }

    [Fact]
    public void ComponentShardsMergeToTheUnshardedRun()
    {
        const string sweeps = "head-z,head-pattern,resid-pre,mlp-out,head-v-by-pos,mlp-post-neuron";
        CliRunner.Ok(PatchArgs("full", sweeps, "--method", "both"));
        for (int i = 0; i < 2; i++) CliRunner.Ok(PatchArgs($"c{i}", sweeps, "--method", "both", "--shard", $"{i}/2", "--shard-by", "components"));
        // 3 layers dealt zig-zag over 2 shards: 0 → shard 0, 1 → shard 1, 2 → shard 1 (second round runs backwards)
        var manifest = JsonNode.Parse(File.ReadAllText(S("c1/shard.json")))!;
        Assert.Equal("components", manifest["shard_by"]!.GetValue<string>());
        Assert.Equal("[1,2]", manifest["layers"]!.ToJsonString());
        Assert.Equal(2, CircuitLens.Tensors.NpyFile.Read(S("c1/head-z.npy")).Dim(1));

        CliRunner.Ok("merge", S("merged"), S("c1"), S("c0"), "--no-plots");
        AssertSameFiles(S("full"), S("merged"), 30);
        var a = JsonNode.Parse(File.ReadAllText(S("full/run.json")))!;
        var b = JsonNode.Parse(File.ReadAllText(S("merged/run.json")))!;
        foreach (var key in new[] { "dataset", "model", "method", "sweeps", "layers", "mean_clean_logit_diff", "files" })
            Assert.Equal(a[key]!.ToJsonString(), b[key]!.ToJsonString());
    }

    [Fact]
    public void ComponentShardsOfALayerSelectionMergeToTheUnshardedRun()
    {
        CliRunner.Ok(PatchArgs("full", "head-z,attn-out", "--layers", "0,2"));
        for (int i = 0; i < 2; i++) CliRunner.Ok(PatchArgs($"c{i}", "head-z,attn-out", "--layers", "0,2", "--shard", $"{i}/2", "--shard-by", "components"));
        Assert.Equal("[2]", JsonNode.Parse(File.ReadAllText(S("c1/shard.json")))!["layers"]!.ToJsonString());
        CliRunner.Ok("merge", S("merged"), S("c0"), S("c1"), "--no-plots");
        AssertSameFiles(S("full"), S("merged"), 10);

        var tooMany = CliRunner.Run(PatchArgs("c9", "head-z", "--layers", "0,2", "--shard", "2/3", "--shard-by", "components"));
        CliRunner.AssertUserError(tooMany, "3 shards for only 2 layer(s)");
    }

    [Fact]
    public void MergeRefusesMixedMissingAndWronglySlicedComponentShards()
    {
        for (int i = 0; i < 2; i++) CliRunner.Ok(PatchArgs($"c{i}", "head-z", "--shard", $"{i}/2", "--shard-by", "components"));
        CliRunner.Ok(PatchArgs("p1", "head-z", "--shard", "1/2"));

        CliRunner.AssertUserError(CliRunner.Run("merge", S("m1"), S("c0"), S("p1")), "sharded by pairs", "by components");
        CliRunner.AssertUserError(CliRunner.Run("merge", S("m2"), S("c1")), "missing shard(s) 0/2");

        // a shard.json edited to claim another layer slice
        string path = S("c1/shard.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["layers"] = new JsonArray(0, 2);
        File.WriteAllText(path, json.ToJsonString());
        CliRunner.AssertUserError(CliRunner.Run("merge", S("m3"), S("c0"), S("c1")), "layer(s) 0 patched by more than one shard");
        json["layers"] = new JsonArray(2);
        File.WriteAllText(path, json.ToJsonString());
        CliRunner.AssertUserError(CliRunner.Run("merge", S("m4"), S("c0"), S("c1")), "the shards patched layers 0,2, but the run patches layers 0,1,2");
        json["layers"] = new JsonArray(0, 2);
        File.WriteAllText(path, json.ToJsonString());
        string path0 = S("c0/shard.json");
        var json0 = JsonNode.Parse(File.ReadAllText(path0))!;
        json0["layers"] = new JsonArray(1);
        File.WriteAllText(path0, json0.ToJsonString());
        CliRunner.AssertUserError(CliRunner.Run("merge", S("m5"), S("c0"), S("c1")), "not its slice");
        Assert.DoesNotContain(new[] { "m1", "m2", "m3", "m4", "m5" }, m => Directory.Exists(S(m)));
    }

    [Theory]
    [InlineData(12, 4)]
    [InlineData(48, 8)]
    [InlineData(3, 2)]
    [InlineData(5, 5)]
    public void LayerSlicesTileTheLayersAndBalanceTheSuffixWork(int layers, int n)
    {
        var all = Enumerable.Range(0, layers).ToArray();
        var slices = Enumerable.Range(0, n).Select(i => new ShardSpec(i, n).LayerSlice(all)).ToList();
        Assert.Equal(all, slices.SelectMany(s => s).Order());
        // a patched run at layer l recomputes L − l layers: no shard does more than one layer's worth above another
        var work = slices.Select(s => s.Sum(l => layers - l)).ToList();
        Assert.True(work.Max() - work.Min() <= layers, $"unbalanced: {string.Join(", ", work)}");
        Assert.All(slices, s => Assert.True(s.Count >= layers / n));
    }
}
