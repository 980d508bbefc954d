// Resuming patching: a job cancelled after its first chunk keeps that chunk on disk, and the rerun
// picks it up and gives the same numbers as an uninterrupted run; through the CLI, a checkpoint left
// by a different job is refused with one clear line instead of being mixed in.
using CircuitLens.Patching;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class PatchResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-cliresume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PatchingBatch FixtureBatch()
    {
        var pairs = TinyGpt2.Pairs;
        return new PatchingBatch(pairs.Select(p => p.CleanIds).ToList(), pairs.Select(p => p.CorruptIds).ToList(),
            pairs.Select(p => p.AnswerId).ToArray(), pairs.Select(p => p.WrongId).ToArray());
    }

    private static PatchingJobOptions Options(string? checkpoint, string fingerprint = "fixture") => new()
    {
        Sweeps = Sweep.Parse("head-z,resid-pre"), ChunkSize = 1, CheckpointDir = checkpoint, Fingerprint = fingerprint,
    };

    // Runs until the job announces its second chunk, then cancels: exactly the first chunk is finished.
    private static void RunAndInterruptAfterFirstChunk(PatchingJobOptions options)
    {
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Stage.StartsWith("exact: pairs 2-", StringComparison.Ordinal)) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => PatchingJob.Run(TinyGpt2.Model, FixtureBatch(), options, progress, cts.Token));
    }

    [Fact]
    public void InterruptedJobResumesWithIdenticalResults()
    {
        string checkpoint = Path.Combine(_dir, "checkpoint");
        RunAndInterruptAfterFirstChunk(Options(checkpoint));
        Assert.True(File.Exists(Path.Combine(checkpoint, "chunk-0000-exact", "complete")));

        var resumed = PatchingJob.Run(TinyGpt2.Model, FixtureBatch(), Options(checkpoint));
        var fresh = PatchingJob.Run(TinyGpt2.Model, FixtureBatch(), Options(null));

        Assert.InRange(resumed.ResumedChunks, 1, 3);
        Assert.Equal(0, fresh.ResumedChunks);
        Assert.Equal(fresh.CleanMetric, resumed.CleanMetric);
        Assert.Equal(fresh.CorruptMetric, resumed.CorruptMetric);
        for (int s = 0; s < fresh.Exact.Count; s++)
        {
            Assert.Equal(fresh.Exact[s].Sweep, resumed.Exact[s].Sweep);
            Assert.Equal(fresh.Exact[s].Patched.Shape, resumed.Exact[s].Patched.Shape);
            TensorAssert.Close(fresh.Exact[s].Patched, resumed.Exact[s].Patched, fresh.Exact[s].Sweep.Name, atol: 0, rtol: 0);
        }
    }

    [Fact]
    public void ACheckpointIsDeletedWhole()
    {
        string checkpoint = Path.Combine(_dir, "checkpoint");
        RunAndInterruptAfterFirstChunk(Options(checkpoint));
        Assert.True(File.Exists(Path.Combine(checkpoint, "chunk-0000-exact", "complete")));
        PatchingJob.DeleteCheckpoint(checkpoint);
        Assert.False(Directory.Exists(checkpoint));
        PatchingJob.DeleteCheckpoint(checkpoint);   // nothing left: no error
    }

    [Fact]
    public void AChunkSizeLargerThanTheDataIsOneChunk()
    {
        var one = PatchingJob.Run(TinyGpt2.Model, FixtureBatch(), Options(null) with { ChunkSize = int.MaxValue });
        var small = PatchingJob.Run(TinyGpt2.Model, FixtureBatch(), Options(null));
        Assert.Equal(small.CleanMetric, one.CleanMetric);
        Assert.Equal(small.Exact[0].Patched.Shape, one.Exact[0].Patched.Shape);
    }

    [Fact]
    public void CliRefusesACheckpointOfADifferentRun()
    {
        string outDir = Path.Combine(_dir, "out");
        RunAndInterruptAfterFirstChunk(Options(Path.Combine(outDir, ".checkpoint"), fingerprint: "made for other options"));

        string pairs = CliFixture.WritePairs(_dir);
        var result = CliRunner.Run("patch", "--model", CliFixture.Model, "--pairs", pairs, "--sweep", "head-z", "--no-bos", "--out", outDir);
        CliRunner.AssertUserError(result, ".checkpoint", "different run");
        Assert.False(File.Exists(Path.Combine(outDir, "run.json")));
        Assert.True(Directory.Exists(Path.Combine(outDir, ".checkpoint")), "the other run's partial results are left alone");
    }

    /// <summary>Reports on the calling thread (System.Progress posts to the thread pool, too late to cancel a chunk).</summary>
    private sealed class SyncProgress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
