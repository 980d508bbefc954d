// RunDirectory and RunLock without the CLI: many claims of the same run name at once get distinct
// directories; a directory prepared before it is named appears with its files or not at all, and a
// killed run's partial directory is removed by the next claim; a held lock refuses a second holder and frees on dispose; only the atomic writer's
// temporary names are removed; a run.json's file list cannot reach outside its directory.
using CircuitLens.Tasks.Runs;

namespace CircuitLens.Tests.Tasks;

public sealed class RunDirectoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-rundir-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ConcurrentClaimsOfOneNameGetDistinctDirectories()
    {
        var now = new DateTime(2026, 1, 2, 3, 4, 5);
        var locks = new RunLock[16];
        Parallel.For(0, locks.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i => locks[i] = RunDirectory.CreateNew(_dir, "ioi", now));
        try
        {
            Assert.Equal(locks.Length, locks.Select(l => l.Directory).Distinct().Count());
            Assert.Contains(locks, l => Path.GetFileName(l.Directory) == "ioi-20260102-030405");
            Assert.Equal(locks.Length, Directory.GetDirectories(_dir).Length);
        }
        finally { foreach (var l in locks) l?.Dispose(); }
    }

    [Fact]
    public void AnExistingDirectoryIsNeverClaimed()
    {
        var now = new DateTime(2026, 1, 2, 3, 4, 5);
        string taken = Path.Combine(_dir, "ioi-20260102-030405");
        Directory.CreateDirectory(taken);   // an older run's directory, without a lock file
        using var claimed = RunDirectory.CreateNew(_dir, "ioi", now);
        Assert.Equal(taken + "-2", claimed.Directory);
        Assert.Empty(Directory.EnumerateFileSystemEntries(taken));
    }

    [Fact]
    public void APreparedDirectoryAppearsWithItsFiles()
    {
        var now = new DateTime(2026, 1, 2, 3, 4, 5);
        string? seenWhilePreparing = null;
        using var claimed = RunDirectory.CreateNew(_dir, "ioi", now, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "options.json"), "{}");
            seenWhilePreparing = string.Join(",", Directory.GetDirectories(_dir).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')));
        });
        Assert.Equal("", seenWhilePreparing);   // no run directory under its name before its options are in it
        Assert.Equal(Path.Combine(_dir, "ioi-20260102-030405"), claimed.Directory);
        Assert.True(File.Exists(Path.Combine(claimed.Directory, "options.json")));
        Assert.Equal([Path.Combine(_dir, "ioi-20260102-030405")], Directory.GetDirectories(_dir));
        var e = Assert.Throws<CircuitLensException>(() => RunLock.Acquire(claimed.Directory));   // still held under the new name
        Assert.Contains("in use by another run", e.Message);
    }

    [Fact]
    public void AFailedPreparationLeavesNothing()
    {
        var now = new DateTime(2026, 1, 2, 3, 4, 5);
        Assert.Throws<IOException>(() => RunDirectory.CreateNew(_dir, "ioi", now, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "options.json"), "{");
            throw new IOException("disk full");
        }));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Fact]
    public void APartialDirectoryOfAKilledRunIsRemovedByTheNextClaim()
    {
        var now = new DateTime(2026, 1, 2, 3, 4, 5);
        string abandoned = Path.Combine(_dir, ".ioi.partial-0123abcd");   // as a run killed while preparing leaves it: lock file, nobody holding it
        Directory.CreateDirectory(abandoned);
        File.WriteAllText(Path.Combine(abandoned, ".lock"), "");
        File.WriteAllText(Path.Combine(abandoned, "options.json.tmp-0123abcd"), "{");
        using var preparing = RunLock.Acquire(Path.Combine(_dir, ".ioi.partial-89abcdef"));   // another run still preparing: kept
        using var claimed = RunDirectory.CreateNew(_dir, "ioi", now);
        Assert.False(Directory.Exists(abandoned));
        Assert.True(Directory.Exists(preparing.Directory));
        Assert.True(Directory.Exists(claimed.Directory));
    }

    [Fact]
    public void ALockIsExclusiveUntilDisposed()
    {
        string dir = Path.Combine(_dir, "out");
        var first = RunLock.Acquire(dir);
        var e = Assert.Throws<CircuitLensException>(() => RunLock.Acquire(dir));
        Assert.Contains("in use by another run", e.Message);
        first.Dispose();
        using var second = RunLock.Acquire(dir);
    }

    [Theory]
    [InlineData("head-z.npy.tmp-0123abcd", true)]
    [InlineData("run.json.tmp-ffffffff", true)]
    [InlineData("head-z.npy.tmp-0123abc", false)]
    [InlineData("head-z.npy.tmp-0123abcde", false)]
    [InlineData("notes.tmp-later", false)]
    [InlineData(".tmp-01234567", false)]
    [InlineData("head-z.npy", false)]
    public void OnlyTheAtomicWritersNamesAreTemporary(string name, bool temporary) => Assert.Equal(temporary, RunDirectory.IsTemporaryName(name));

    [Fact]
    public void PreviousOutputsStayInsideTheirDirectory()
    {
        string run = Path.Combine(_dir, "run");
        Directory.CreateDirectory(Path.Combine(run, "attribution"));
        string outside = Path.Combine(_dir, "precious.npy");
        File.WriteAllText(outside, "keep");
        File.WriteAllText(Path.Combine(run, "head-z.npy"), "old");
        File.WriteAllText(Path.Combine(run, "attribution", "head-z.npy"), "old");
        File.WriteAllText(Path.Combine(run, "mine.txt"), "keep");
        File.WriteAllText(Path.Combine(run, "run.json"), """{"files": ["head-z.npy", "attribution/head-z.npy", "../precious.npy", "/etc/hostname", 5]}""");
        Assert.Equal(2, RunDirectory.RemovePreviousOutputs(run));
        Assert.True(File.Exists(outside));
        Assert.True(File.Exists(Path.Combine(run, "mine.txt")));
        Assert.False(File.Exists(Path.Combine(run, "run.json")));
        Assert.False(Directory.Exists(Path.Combine(run, "attribution")));
    }
}
