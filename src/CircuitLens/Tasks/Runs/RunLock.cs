// An exclusive hold on a run directory for the life of one process: two runs writing into one
// directory would mix their rows (a fingerprint check alone is check-then-write). The lock is an
// OS file lock on <dir>/.lock (flock on Unix, a sharing lock on Windows), so a killed process
// releases it at once. The .lock file stays behind: deleting it would let two later runs lock two
// different files of the same name — except when a run is refused as a whole (Discard), which removes
// the lock file or directory that it created itself, while still holding the lock.
namespace CircuitLens.Tasks.Runs;

public sealed class RunLock : IDisposable
{
    public const string FileName = ".lock";

    private FileStream? _stream;

    private RunLock(string directory, FileStream stream)
    {
        Directory = directory;
        _stream = stream;
    }

    /// <summary>The directory held.</summary>
    public string Directory { get; private set; }

    /// <summary>Locks <paramref name="directory"/> (created if missing), or fails with an error naming it when another run holds it.</summary>
    public static RunLock Acquire(string directory)
    {
        bool newDirectory = !System.IO.Directory.Exists(directory);
        System.IO.Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        bool newLockFile = !File.Exists(path);
        try { return new RunLock(directory, Open(path, FileMode.OpenOrCreate)) { _createdDirectory = newDirectory, _createdLockFile = newLockFile }; }
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

    /// <summary>Locks <paramref name="directory"/>'s existing lock file when nobody holds it; null when it has none or it is held.</summary>
    public static RunLock? TryAcquireExisting(string directory)
    {
        string path = Path.Combine(directory, FileName);
        try { return new RunLock(directory, Open(path, FileMode.Open)); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private bool _createdDirectory, _createdLockFile;

    /// <summary>For a run refused as a whole (a user error no rerun would avoid): lets the lock go and removes what taking it created —
    /// the directory, when it did not exist before (with whatever the run wrote into it), else the lock file. The lock file is
    /// deleted while still held, so no other run can hold it meanwhile.</summary>
    public void Discard()
    {
        if (_createdDirectory && System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
        else if (_createdLockFile) File.Delete(Path.Combine(Directory, FileName));
        Dispose();
    }

    // RunDirectory's rename of a prepared run directory: the same lock, under the directory's new name.
    internal void MovedTo(string directory) => Directory = directory;

    // Windows cannot rename a directory with an open file in it: RunDirectory lets the lock go around the rename.
    internal void Release()
    {
        _stream?.Dispose();
        _stream = null;
    }

    internal void Reacquire(string directory) => _stream = Open(Path.Combine(directory, FileName), FileMode.Open);

    private static FileStream Open(string path, FileMode mode) =>
        new(path, mode, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);

    public void Dispose() => _stream?.Dispose();
}
