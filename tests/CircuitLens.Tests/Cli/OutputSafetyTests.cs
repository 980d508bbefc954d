// Outputs through the CLI: an output path of the wrong kind (a directory where a file goes, a file
// where a directory goes) is refused before anything is written; a reused `patch --out` holds only
// the new run's files; temporary files of an interrupted write are removed; a directory another run
// holds is refused; a resume checkpoint made with other weights of the same shape is refused.
using System.Text.Json;
using CircuitLens.Tasks.Runs;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class OutputSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-outputs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Existing(string name)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(path);
        return path;
    }

    private string[] Patch(string outDir, string sweeps, params string[] extra)
    {
        string pairs = File.Exists(Path.Combine(_dir, "pairs.jsonl")) ? Path.Combine(_dir, "pairs.jsonl") : CliFixture.WritePairs(_dir);
        return ["patch", "--model", CliFixture.Model, "--pairs", pairs, "--sweep", sweeps, "--no-bos", "--no-plots", "--out", outDir, .. extra];
    }

    [Fact]
    public void FilterFormatWithADirectoryAsRejectsWritesNothing()
    {
        string pairs = CliFixture.WritePairs(_dir), output = Path.Combine(_dir, "kept.jsonl"), rejects = Existing("rejects");
        CliRunner.AssertUserError(CliRunner.Run("filter", "format", "--in", pairs, "--out", output, "--rejects", rejects), "--rejects", rejects, "directory");
        Assert.False(File.Exists(output), "--out was written although --rejects could not be");
    }

    [Fact]
    public void CacheWithADirectoryAsSafetensorsWritesNothing()
    {
        string output = Path.Combine(_dir, "cache"), st = Existing("acts.safetensors");
        CliRunner.AssertUserError(CliRunner.Run("cache", "--model", CliFixture.Model, "--prompt", "Hi", "--out", output, "--safetensors", st), "--safetensors", "directory");
        Assert.False(Directory.Exists(output), ".npy files were written although --safetensors could not be");
    }

    private static (string[] Args, string Option)[] FileOutputs(string dir) =>
    [
        (["logits", "--model", CliFixture.Model, "--prompt", "Hi", "--save", dir], "--save"),
        (["dataset", "ioi", "--out", dir], "--out"),
        (["filter", "model", "--model", CliFixture.Model, "--in", "x.jsonl", "--out", dir], "--out"),
        (["filter", "model", "--model", CliFixture.Model, "--in", "x.jsonl", "--out", "y.jsonl", "--report", dir], "--report"),
        (["dataset", "ioi-llm", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--out", dir], "--out"),
    ];

    [Fact]
    public void EveryFileOutputRefusesAnExistingDirectory()
    {
        string dir = Existing("a-directory");
        foreach (var (args, option) in FileOutputs(dir)) CliRunner.AssertUserError(CliRunner.Run(args), option, "existing directory");
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Fact]
    public void FilesWrittenNextToAnOutputAreCheckedToo()
    {
        string output = Path.Combine(_dir, "kept.jsonl");
        Existing("kept.jsonl.report.json");
        CliRunner.AssertUserError(CliRunner.Run("filter", "model", "--model", CliFixture.Model, "--in", CliFixture.WritePairs(_dir), "--out", output),
            "kept.jsonl.report.json", "existing directory");
        Assert.False(File.Exists(output));
        Existing("kept.jsonl.rejects.json");
        CliRunner.AssertUserError(CliRunner.Run("dataset", "ioi-llm", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--out", output, "--raw", Path.Combine(_dir, "raw.jsonl")),
            "kept.jsonl.rejects.json", "existing directory");
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(Path.Combine(_dir, "raw.jsonl")));
    }

    [Fact]
    public void DirectoryOutputsRefuseAnExistingFile()
    {
        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "mine");
        CliRunner.AssertUserError(CliRunner.Run(Patch(file, "head-z")), "--out", "existing file");
        CliRunner.AssertUserError(CliRunner.Run("ioi", "--model", CliFixture.Model, "--runs-dir", file), "--runs-dir", "existing file");
        CliRunner.AssertUserError(CliRunner.Run("cache", "--model", CliFixture.Model, "--prompt", "Hi", "--out", file), "--out", "existing file");
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [Fact]
    public void ReusedOutHoldsOnlyTheNewRunsFiles()
    {
        string outDir = Path.Combine(_dir, "out");
        File.WriteAllText(Path.Combine(Existing("out"), "notes.txt"), "the user's own file");
        CliRunner.Ok(Patch(outDir, "head-z,head-q", "--method", "both"));
        Assert.True(File.Exists(Path.Combine(outDir, "head-q_normalized.npy")));
        Assert.True(File.Exists(Path.Combine(outDir, "attribution", "head-q.npy")));

        CliRunner.Ok(Patch(outDir, "head-z"));
        var listed = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json"))).RootElement.GetProperty("files")
            .EnumerateArray().Select(f => f.GetString()!).ToHashSet();
        var present = Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(outDir, f).Replace('\\', '/')).ToHashSet();
        present.ExceptWith(["run.json", "notes.txt", RunLock.FileName]);
        Assert.Equal(listed.Order(), present.Order());
        Assert.DoesNotContain(present, f => f.StartsWith("head-q", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(outDir, "attribution")), "the earlier run's attribution folder is gone");
        Assert.Equal("the user's own file", File.ReadAllText(Path.Combine(outDir, "notes.txt")));
    }

    [Fact]
    public void TemporaryFilesOfAnInterruptedWriteAreRemoved()
    {
        string outDir = Existing("out");
        string chunk = Path.Combine(outDir, ".checkpoint", "chunk-0000-exact");
        Directory.CreateDirectory(chunk);
        string[] leftovers = [Path.Combine(outDir, "head-z.npy.tmp-0123abcd"), Path.Combine(outDir, "report.html.tmp-deadbeef"), Path.Combine(chunk, "head-z.npy.tmp-89abcdef")];
        foreach (var f in leftovers) File.WriteAllText(f, "half");
        string unrelated = Path.Combine(outDir, "my.tmp-notes");
        File.WriteAllText(unrelated, "the user's");
        CliRunner.Ok(Patch(outDir, "head-z"));
        Assert.DoesNotContain(Directory.EnumerateFiles(outDir, "*.tmp-*", SearchOption.AllDirectories), f => f != unrelated);
        Assert.True(File.Exists(unrelated), "only the atomic writer's own names are removed");
    }

    [Fact]
    public void OutHeldByAnotherRunIsRefusedAndLeftAlone()
    {
        string outDir = Path.Combine(_dir, "out");
        using (RunLock.Acquire(outDir))
        {
            CliRunner.AssertUserError(CliRunner.Run(Patch(outDir, "head-z")), outDir, "in use by another run");
            Assert.Equal([RunLock.FileName], Directory.EnumerateFileSystemEntries(outDir).Select(Path.GetFileName));
        }
        CliRunner.Ok(Patch(outDir, "head-z"));   // released: the next run goes ahead
    }

    [Fact]
    public void IoiResumeOfADirectoryHeldByAnotherRunIsRefused()
    {
        string run = Existing("run");
        File.WriteAllText(Path.Combine(run, "options.json"), ValidOptions(CliFixture.Model));
        using var held = RunLock.Acquire(run);
        CliRunner.AssertUserError(CliRunner.Run("ioi", "--resume", run), "in use by another run");
        Assert.False(File.Exists(Path.Combine(run, "pairs.jsonl")));
    }

    internal static string ValidOptions(string model) => JsonSerializer.Serialize(new
    {
        Model = model, N = 12, Seed = 0, Pattern = "mixed", Corruption = "s2-swap", Sweep = "head-z", Method = "exact", Filter = "none", PrependBos = true, ChunkSize = 5,
    });
}
