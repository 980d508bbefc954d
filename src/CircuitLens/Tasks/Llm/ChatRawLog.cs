// Appends one JSON line per HTTP attempt to the raw log, so every response the model gave can be inspected later.
// Thread-safe; each line is flushed as written so the log survives a crash. It does not rotate or truncate.
using System.Text.Json;
using CircuitLens.Tasks.Filtering;

namespace CircuitLens.Tasks.Llm;

internal sealed class ChatRawLog
{
    private readonly string? _path;
    private readonly Lock _gate = new();
    // Nulls are written (status: null means no response arrived), unlike the pair files.
    private static readonly JsonSerializerOptions LogJson = new() { Encoder = FormatFilterJsonl.Compact.Encoder };

    public ChatRawLog(string? path)
    {
        _path = path;
        if (path is null) return;
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
    }

    /// <summary>status is null when no response arrived; error says why the attempt failed, if it did.</summary>
    public void Append(int request, int attempt, int? status, string? body, double elapsedMs, string? error, double? retryDelayMs)
    {
        if (_path is null) return;
        string line = JsonSerializer.Serialize(new
        {
            request, attempt, status,
            elapsed_ms = Math.Round(elapsedMs, 1),
            error,
            retry_delay_ms = retryDelayMs is { } d ? Math.Round(d, 1) : (double?)null,
            body,
            time = DateTimeOffset.UtcNow.ToString("O"),
        }, LogJson);
        lock (_gate)
        {
            try { File.AppendAllText(_path, line + "\n"); }
            catch (IOException e) { throw new CircuitLensException($"cannot append to raw log {_path}: {e.Message}", e); }
        }
    }
}
