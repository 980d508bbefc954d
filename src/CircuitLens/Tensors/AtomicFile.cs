// Writes a file under a temporary name in the same directory and renames it into place on Commit, so
// a reader never sees a half-written output; disposing without Commit deletes the temporary file.
// Does not fsync the directory entry. Public so every writer (library and CLI) shares one implementation.
namespace CircuitLens.Tensors;

public sealed class AtomicFile : IDisposable
{
    private readonly string _target;
    private readonly string _temp;
    private FileStream? _stream;

    private AtomicFile(string target, string temp, FileStream stream)
    {
        _target = target;
        _temp = temp;
        _stream = stream;
    }

    /// <summary>Opens a fresh temporary file next to <paramref name="path"/> (creating the directory if needed).</summary>
    public static AtomicFile Create(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        string? dir = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        return new AtomicFile(full, temp, stream);
    }

    /// <summary>Writes the whole file atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var file = Create(path);
        file.Stream.Write(bytes);
        file.Commit();
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new System.Text.UTF8Encoding(false).GetBytes(text));

    public Stream Stream => _stream ?? throw new ObjectDisposedException(nameof(AtomicFile));

    /// <summary>Flushes the data to disk and renames the temporary file to the target (replacing it).</summary>
    public void Commit()
    {
        var stream = _stream ?? throw new ObjectDisposedException(nameof(AtomicFile));
        stream.Flush(flushToDisk: true);
        stream.Dispose();
        _stream = null;
        try { File.Move(_temp, _target, overwrite: true); }
        catch { TryDelete(_temp); throw; }
    }

    public void Dispose()
    {
        if (_stream is null) return;
        _stream.Dispose();
        _stream = null;
        TryDelete(_temp);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
