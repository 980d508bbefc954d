// `path-patch --chunk-size C`: pairs batched in chunks give the float64 reference's numbers (each pair
// of the reference ran alone), whether the chunks run in one process or as `--shard I/N` shards merged;
// and the memory plan of path patching fits gpt2-xl's shape on a 24 GB card with every pair in one batch.
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Patching;
using CircuitLens.Tensors;
using CircuitLens.Tests.Circuits;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class PathPatchChunkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-pathchunks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Args(string outName, params string[] extra) =>
        ["path-patch", "--model", CliFixture.Model, "--pairs", CircuitFixtures.File("pairs.jsonl"), "--receivers", "2.1:q,2.3:k,2.0:v", "--no-bos", "--no-plots",
         "--out", Path.Combine(_dir, outName), .. extra];

    [Theory]
    [InlineData("1")]
    [InlineData("3")]
    public void ChunksOfPairsGiveTheReferenceNumbers(string chunk)
    {
        var run = CliRunner.Ok(Args("out", "--chunk-size", chunk));
        Assert.Contains($"chunk of {chunk} pair(s)", run.Stderr);
        TensorAssert.Close(NpyFile.Read(CircuitFixtures.File("path_patch_heads.npy")), NpyFile.Read(Path.Combine(_dir, "out", "path-patch.npy")), $"chunks of {chunk}");
    }

    [Fact]
    public void OneShardPerPairMergesToTheReferenceNumbers()
    {
        for (int i = 0; i < 4; i++) CliRunner.Ok(Args($"s{i}", "--chunk-size", "1", "--shard", $"{i}/4"));
        CliRunner.Ok("merge", Path.Combine(_dir, "merged"), Path.Combine(_dir, "s3"), Path.Combine(_dir, "s1"), Path.Combine(_dir, "s0"), Path.Combine(_dir, "s2"), "--no-plots");
        TensorAssert.Close(NpyFile.Read(CircuitFixtures.File("path_patch_heads.npy")), NpyFile.Read(Path.Combine(_dir, "merged", "path-patch.npy")), "merged shards");
    }

    [Fact]
    public void Gpt2XlPathPatchingOf100PairsFitsOne24GCard()
    {
        var xl = new Gpt2Config { NLayers = 48, NHeads = 25, DModel = 1600, DMlp = 6400, NCtx = 1024, VocabSize = 50257, ModelName = "gpt2-xl" };
        var request = new MemoryPlanRequest
        {
            Config = xl, PairLengths = Enumerable.Range(0, 100).Select(i => 15 + i % 7).ToArray(), Sweeps = [], Device = DeviceKind.Cuda,
            BudgetBytes = 24L << 30, MaxChunkSize = 100, MaxRowsPerRun = 2048,
        };
        var plan = PatchingMemoryPlan.ForPathPatching(request);
        Assert.Equal((100, 2048, (int?)null), (plan.ChunkSize, plan.MaxRowsPerRun, plan.AttributionChunkSize));
        Assert.InRange(plan.EstimatedPeakBytes, plan.WeightsBytes + 1, 24L << 30);
        var tight = PatchingMemoryPlan.ForPathPatching(request with { BudgetBytes = plan.WeightsBytes + plan.ResultsBytes + plan.ChunkBytes / 3 });
        Assert.InRange(tight.ChunkSize, 1, 50);
        Assert.True(tight.EstimatedPeakBytes <= plan.WeightsBytes + plan.ResultsBytes + plan.ChunkBytes / 3, tight.Summary);
    }
}
