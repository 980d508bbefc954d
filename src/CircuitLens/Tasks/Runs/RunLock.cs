// An exclusive hold on a run directory for the life of one process: two runs writing into one
// directory would mix their rows (a fingerprint check alone is check-then-write). The lock is an
// OS file lock on <dir>/.lock (flock on Unix, a sharing lock on Windows), so a killed process
// releases it at once. The .lock file stays behind: deleting it would let two later runs lock two
// different files of the same name.
namespace CircuitLens.Tasks.Runs;

public sealed class RunLock : IDisposable
{
    public const string FileName = ".lock";

    private readonly FileStream _stream;

    private RunLock(string directory, FileStream stream)
    {
        Directory = directory;
        _stream = stream;
    }

    /// <summary>The directory held.</summary>
    public string Directory { get; }

    /// <summary>Locks <paramref name="directory"/> (created if missing), or fails with an error naming it when another run holds it.</summary>
    public static RunLock Acquire(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        try { return new RunLock(directory, Open(path, FileMode.OpenOrCreate)); }
        catch (IOException) when (File.Exists(path))
        {
            throw new CircuitLensException($"{directory} is in use by another run (it holds {path}); wait for that run to finish or use another directory");
        }
    }

    /// <summary>Claims a directory nobody has claimed before: creates its lock file exclusively. Null when another run created it first.</summary>
    public static RunLock? TryClaimNew(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        try { return new RunLock(directory, Open(path, FileMode.CreateNew)); }
        catch (IOException) when (File.Exists(path)) { return null; }
    }

    private static FileStream Open(string path, FileMode mode) =>
        new(path, mode, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);

    public void Dispose() => _stream.Dispose();
}
