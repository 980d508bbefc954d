// `path-patch --shard I/N` + `merge` on the tiny fixture: shards by pairs (whole chunks) and by
// components (slices of the sender layers) merge to byte-identical arrays and path-patch.json of the
// unsharded run, with both engines; merge refuses a path-patch shard mixed with a `patch` shard or a
// shard given twice, and a shard by pairs needs as many chunks as shards.
using CircuitLens.Tests.Cli;

namespace CircuitLens.Tests.Sharding;

[Collection(ConsoleCollection.Name)]
public sealed class PathPatchShardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-path-shards-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Pairs => File.Exists(Path.Combine(_dir, "pairs.jsonl")) ? Path.Combine(_dir, "pairs.jsonl") : CliFixture.WritePairs(_dir);
    private string S(string name) => Path.Combine(_dir, name);

    private string[] Args(string outName, string receivers, params string[] extra) =>
        ["path-patch", "--model", CliFixture.Model, "--pairs", Pairs, "--receivers", receivers, "--no-bos", "--no-plots", "--out", S(outName), .. extra];

    private void AssertSame(string full, string merged)
    {
        foreach (var f in new[] { "path-patch.npy", "path-patch_normalized.npy", "path-patch_normalized_mean.npy", "clean_metric.npy", "corrupt_metric.npy", "path-patch.json" })
            Assert.True(File.ReadAllBytes(Path.Combine(full, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(merged, f))), $"{f} differs from the unsharded run");
    }

    [Theory]
    [InlineData("logits", "pairs")]
    [InlineData("logits", "components")]
    [InlineData("2.1:q,2.3:k", "components")]
    [InlineData("2.1:v", "pairs")]
    public void ShardsMergeToTheUnshardedRun(string receivers, string by)
    {
        CliRunner.Ok(Args("full", receivers, "--chunk-size", "2"));
        for (int i = 0; i < 2; i++) CliRunner.Ok(Args($"s{i}", receivers, "--chunk-size", "2", "--shard", $"{i}/2", "--shard-by", by));
        CliRunner.Ok("merge", S("merged"), S("s1"), S("s0"), "--no-plots");
        AssertSame(S("full"), S("merged"));
    }

    [Fact]
    public void ThePlainEngineShardsByComponentsToo()
    {
        CliRunner.Ok(Args("full", "logits", "--plain"));
        for (int i = 0; i < 3; i++) CliRunner.Ok(Args($"s{i}", "logits", "--plain", "--shard", $"{i}/3", "--shard-by", "components"));
        CliRunner.Ok("merge", S("merged"), S("s0"), S("s1"), S("s2"), "--no-plots");
        AssertSame(S("full"), S("merged"));
    }

    [Fact]
    public void MergeRefusesMixedAndDuplicatedShards()
    {
        for (int i = 0; i < 2; i++) CliRunner.Ok(Args($"s{i}", "logits", "--chunk-size", "2", "--shard", $"{i}/2"));
        CliRunner.Ok(["patch", "--model", CliFixture.Model, "--pairs", Pairs, "--sweep", "head-z", "--no-bos", "--no-plots", "--chunk-size", "2", "--shard", "1/2", "--out", S("patch1")]);
        CliRunner.AssertUserError(CliRunner.Run("merge", S("m1"), S("s0"), S("patch1")), "different run", "kind");
        CliRunner.AssertUserError(CliRunner.Run("merge", S("m2"), S("s0"), S("s1"), S("s0")), "given twice");
        CliRunner.AssertUserError(CliRunner.Run(Args("s9", "logits", "--shard", "1/2")), "2 shards for only 1 chunk(s)");
        CliRunner.AssertUserError(CliRunner.Run(Args("s9", "logits", "--shard-by", "components")), "--shard-by needs --shard");
        Assert.False(Directory.Exists(S("m1")) || Directory.Exists(S("m2")));
    }
}
