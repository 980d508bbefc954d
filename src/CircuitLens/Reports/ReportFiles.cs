// Writes report files (SVG, PNG, HTML) so a reader never sees a half-written one: the bytes go
// to a temporary name beside the target and one rename replaces it (Tensors.AtomicFile does the
// work). Missing directories are created; I/O failures become one-line CircuitLensExceptions.
using System.Text;
using CircuitLens.Tensors;

namespace CircuitLens.Reports;

public static class ReportFiles
{
    public static void WriteAtomic(string path, string text) => WriteAtomic(path, new UTF8Encoding(false).GetBytes(text));

    public static void WriteAtomic(string path, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            AtomicFile.WriteAllBytes(path, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CircuitLensException($"cannot write {path}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }
}
