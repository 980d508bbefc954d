// Interruptions of real processes: `patch` and `ioi` killed with kill -9 at seeded random moments,
// several times in a row, then run to the end: the resumed run's arrays are byte-identical to an
// uninterrupted run's, no file under its final name is ever half-written, no temporary file is left.
// Also: Ctrl+C says how to continue; two `ioi` runs started together get two directories; a resume
// after the weights changed (same name and shape) is refused.
using System.Diagnostics;
using System.Text.Json;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tasks.Runs;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Cli;

public sealed class InterruptionTests : IDisposable
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(120);

    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-interrupt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 12 generated pairs, 6 chunks: enough cut points between chunks and during the output writes
    private string Pairs()
    {
        string path = Path.Combine(_dir, "pairs.jsonl");
        if (!File.Exists(path))
            IoiJsonl.Write(path, IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 12, Seed = 3, Pattern = IoiPattern.Mixed, Corruption = IoiCorruption.S2Swap }).Pairs);
        return path;
    }

    private string[] PatchArgs(string outDir, string model) =>
        ["patch", "--model", model, "--pairs", Pairs(), "--sweep", "head-z,resid-pre", "--method", "both", "--chunk-size", "2", "--no-bos", "--no-plots", "--out", outDir];

    private static string[] IoiArgs(string runsDir, int seed = 5, int chunk = 2) =>
        ["ioi", "--model", CliFixture.Model, "--n", "12", "--seed", seed.ToString(), "--filter", "none", "--sweep", "head-z,resid-pre", "--method", "both", "--chunk-size", chunk.ToString(), "--runs-dir", runsDir];

    [Fact]
    public void PatchKilledAtRandomMomentsResumesToTheSameBytes()
    {
        string reference = Path.Combine(_dir, "reference"), killed = Path.Combine(_dir, "killed");
        var clock = Stopwatch.StartNew();
        Assert.True(CliProcess.Run(s_limit, PatchArgs(reference, CliFixture.Model)) is { Exit: 0 } r0, "reference run failed");
        double runSeconds = clock.Elapsed.TotalSeconds;

        var rng = new Random(11);
        for (int i = 0; i < 3; i++)
        {
            using (var p = CliProcess.Start(PatchArgs(killed, CliFixture.Model)))
            {
                Thread.Sleep(TimeSpan.FromSeconds(0.3 + rng.NextDouble() * runSeconds));
                p.KillHard();
            }
            AssertNoHalfWrittenFile(killed);
        }
        var final = CliProcess.Run(s_limit, PatchArgs(killed, CliFixture.Model));
        Assert.True(final.Exit == 0, final.ToString());
        AssertSameArrays(reference, killed);
        AssertNoTemporaryFile(killed);
        Assert.False(Directory.Exists(Path.Combine(killed, ".checkpoint")));
    }

    [Fact]
    public void IoiKilledAtRandomMomentsResumesToTheSameBytes()
    {
        string referenceRuns = Path.Combine(_dir, "reference"), runs = Path.Combine(_dir, "runs");
        var clock = Stopwatch.StartNew();
        Assert.True(CliProcess.Run(s_limit, IoiArgs(referenceRuns)) is { Exit: 0 }, "reference run failed");
        double runSeconds = clock.Elapsed.TotalSeconds;
        string reference = Assert.Single(Directory.GetDirectories(referenceRuns));

        var rng = new Random(12);
        string? run = null;
        for (int i = 0; i < 3; i++)
        {
            using (var p = CliProcess.Start(run is null ? IoiArgs(runs) : ["ioi", "--resume", run]))
            {
                Thread.Sleep(TimeSpan.FromSeconds(0.3 + rng.NextDouble() * runSeconds));
                p.KillHard();
            }
            // a run directory exists only with its options in it (killed earlier: none, and a new run is what a user starts)
            run = Directory.Exists(runs) ? Directory.GetDirectories(runs).Where(d => !Path.GetFileName(d).StartsWith('.')).SingleOrDefault() : null;
            if (run is null) continue;
            AssertNoHalfWrittenFile(run);
            Assert.True(File.Exists(Path.Combine(run, "options.json")), $"{run} has no options.json: --resume cannot continue it");
        }
        var final = CliProcess.Run(s_limit, run is null ? IoiArgs(runs) : ["ioi", "--resume", run]);
        Assert.True(final.Exit == 0, final.ToString());
        run = Assert.Single(Directory.GetDirectories(runs));
        AssertSameArrays(reference, run);
        foreach (var stage in new[] { "pairs.jsonl", "formatted.jsonl" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(reference, stage)), File.ReadAllBytes(Path.Combine(run, stage)));
        AssertNoTemporaryFile(run);
    }

    [Fact]
    public void CtrlCInPatchSaysToRunTheSameCommandAgain()
    {
        string outDir = Path.Combine(_dir, "out");
        using var p = CliProcess.Start(PatchArgs(outDir, CliFixture.Model));
        WaitFor(() => File.Exists(Path.Combine(outDir, ".checkpoint", "chunk-0000-exact", "complete")) || p.HasExited);
        p.Interrupt();
        var result = p.Wait(s_limit);   // 11 more chunks and the outputs are left: the signal always arrives mid-run
        Assert.True(result.Exit == 130, result.ToString());
        string line = Assert.Single(result.ErrorLines);
        Assert.Contains("run the same command again", line);
        Assert.DoesNotContain("--resume", line);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void ResumeWithChangedWeightsOfTheSameShapeIsRefused()
    {
        string model = Path.Combine(_dir, "model");
        Directory.CreateDirectory(model);
        foreach (var f in Directory.GetFiles(CliFixture.Model)) File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        string outDir = Path.Combine(_dir, "out");
        using (var p = CliProcess.Start(PatchArgs(outDir, model)))
        {
            WaitFor(() => File.Exists(Path.Combine(outDir, ".checkpoint", "chunk-0000-exact", "complete")) || p.HasExited);
            p.KillHard();
        }
        Assert.True(Directory.Exists(Path.Combine(outDir, ".checkpoint")), "the run finished before it could be killed");

        // same names, shapes and parameter count; one weight of the token embedding changed
        string weights = Path.Combine(model, "model.safetensors");
        byte[] bytes = File.ReadAllBytes(weights);
        int headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        using (var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength)))
        {
            long start = header.RootElement.GetProperty("wte.weight").GetProperty("data_offsets")[0].GetInt64();
            bytes[8 + headerLength + start + 2] ^= 0x40;
        }
        File.WriteAllBytes(weights, bytes);

        var result = CliProcess.Run(s_limit, PatchArgs(outDir, model));
        CliRunner.AssertUserError(result, ".checkpoint", "different run");
        Assert.False(File.Exists(Path.Combine(outDir, "run.json")));
    }

    [Fact]
    public void TwoIoiRunsStartedTogetherGetTwoDirectories()
    {
        string runs = Path.Combine(_dir, "runs");
        using var a = CliProcess.Start(IoiArgs(runs, seed: 1, chunk: 12));
        using var b = CliProcess.Start(IoiArgs(runs, seed: 2, chunk: 12));
        var (ra, rb) = (a.Wait(s_limit), b.Wait(s_limit));
        Assert.True(ra.Exit == 0, ra.ToString());
        Assert.True(rb.Exit == 0, rb.ToString());
        var dirs = Directory.GetDirectories(runs);
        Assert.Equal(2, dirs.Length);
        var seeds = dirs.Select(d => JsonDocument.Parse(File.ReadAllText(Path.Combine(d, "options.json"))).RootElement.GetProperty("Seed").GetInt32()).Order();
        Assert.Equal([1, 2], seeds);
        foreach (var d in dirs)
        {
            int seed = JsonDocument.Parse(File.ReadAllText(Path.Combine(d, "options.json"))).RootElement.GetProperty("Seed").GetInt32();
            var expected = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 12, Seed = seed, Pattern = IoiPattern.Mixed, Corruption = IoiCorruption.S2Swap }).Pairs;
            Assert.Equal(expected.Select(p => p.Clean), IoiJsonl.Read(Path.Combine(d, "pairs.jsonl")).Select(p => p.Clean));
        }
    }

    [Fact]
    public void TwoPatchRunsIntoOneOutDoNotMix()
    {
        string outDir = Path.Combine(_dir, "out");
        string[] first = PatchArgs(outDir, CliFixture.Model);
        string[] second = [.. first];
        // the fixture's 4 pairs instead of 12
        second[Array.IndexOf(second, "--pairs") + 1] = CliFixture.WritePairs(Directory.CreateDirectory(Path.Combine(_dir, "four")).FullName);
        using var a = CliProcess.Start(first);
        using var b = CliProcess.Start(second);
        var results = new[] { a.Wait(s_limit), b.Wait(s_limit) };
        var ok = Assert.Single(results, r => r.Exit == 0);
        var refused = Assert.Single(results, r => r.Exit != 0);
        CliRunner.AssertUserError(refused, "in use by another run");
        int rows = ReferenceEquals(ok, results[0]) ? 12 : 4;
        Assert.Equal(rows, NpyFile.Read(Path.Combine(outDir, "head-z.npy")).Dim(0));
        Assert.Equal(rows, NpyFile.Read(Path.Combine(outDir, "clean_logit_diff.npy")).Dim(0));
    }

    [Fact]
    public void CtrlCInIoiSaysHowToResume()
    {
        string runs = Path.Combine(_dir, "runs");
        using var p = CliProcess.Start(IoiArgs(runs));
        WaitFor(() => (Directory.Exists(runs) && Directory.GetDirectories(runs).Any(d => File.Exists(Path.Combine(d, ".checkpoint", "chunk-0000-exact", "complete")))) || p.HasExited);
        p.Interrupt();
        var result = p.Wait(s_limit);
        Assert.True(result.Exit == 130, result.ToString());
        string run = Assert.Single(Directory.GetDirectories(runs));
        Assert.Contains($"ioi --resume {Path.GetFullPath(run)}", Assert.Single(result.ErrorLines));
    }

    private static void WaitFor(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > s_limit) throw new TimeoutException("condition not reached");
            Thread.Sleep(20);
        }
    }

    // Every file under its final name is whole: arrays read back with the size their header states, JSON parses.
    private static void AssertNoHalfWrittenFile(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var path in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetFileName(path);
            if (RunDirectory.IsTemporaryName(name) || name == RunLock.FileName) continue;
            if (name.EndsWith(".npy", StringComparison.Ordinal)) NpyFile.Read(path);
            else if (name.EndsWith(".json", StringComparison.Ordinal)) JsonDocument.Parse(File.ReadAllText(path)).Dispose();
            else if (name.EndsWith(".jsonl", StringComparison.Ordinal))
                foreach (var line in File.ReadLines(path).Where(l => l.Length > 0)) JsonDocument.Parse(line).Dispose();
            else if (name.EndsWith(".html", StringComparison.Ordinal)) Assert.EndsWith("</html>", File.ReadAllText(path).TrimEnd());
            else if (name.EndsWith(".csv", StringComparison.Ordinal)) Assert.EndsWith("\n", File.ReadAllText(path));
        }
    }

    private static void AssertNoTemporaryFile(string dir) =>
        Assert.DoesNotContain(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories), f => RunDirectory.IsTemporaryName(Path.GetFileName(f)));

    private static void AssertSameArrays(string expectedDir, string actualDir)
    {
        var expected = Directory.EnumerateFiles(expectedDir, "*.npy", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(expectedDir, f)).Order().ToList();
        var actual = Directory.EnumerateFiles(actualDir, "*.npy", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(actualDir, f)).Order().ToList();
        Assert.Equal(expected, actual);
        Assert.Contains(Path.Combine("attribution", "head-z.npy"), expected);
        foreach (var f in expected)
            Assert.True(File.ReadAllBytes(Path.Combine(expectedDir, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actualDir, f))), $"{f} differs from the uninterrupted run");
    }
}
