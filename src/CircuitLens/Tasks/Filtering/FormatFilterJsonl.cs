// Small JSONL writers for the format filter and the LLM generator: pairs, rejections and reports, always written
// to a temporary file and renamed, so a crash never leaves a half-written output. Reading lives in FormatFilter
// (it needs the raw text of every line for its rejection records). Public so the CLI commands share the format.
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tasks.Filtering;

public static class FormatFilterJsonl
{
    public static readonly JsonSerializerOptions Compact = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Keep names and apostrophes readable in the files people will open.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonSerializerOptions Indented = new(Compact) { WriteIndented = true };

    /// <summary>Writes one JSON line per pair, atomically.</summary>
    public static void WritePairs(string path, IEnumerable<IoiPair> pairs) =>
        WriteAtomically(path, w =>
        {
            foreach (var pair in pairs) w.WriteLine(JsonSerializer.Serialize(pair, Compact));
        });

    /// <summary>Writes one JSON line per rejection ({"line","reason","detail","text"}), atomically.</summary>
    public static void WriteRejections(string path, IEnumerable<FormatRejection> rejections) =>
        WriteAtomically(path, w =>
        {
            foreach (var r in rejections)
                w.WriteLine(JsonSerializer.Serialize(new { line = r.LineNumber, reason = r.Reason, detail = r.Detail, text = r.Text }, Compact));
        });

    /// <summary>A summary object: totals, counts per reason, each reason's description and, when rejections are
    /// given, up to <paramref name="examplesPerReason"/> sample rejected lines per reason.</summary>
    public static object Report(string? source, int accepted, IReadOnlyDictionary<string, int> counts,
        IEnumerable<FormatRejection>? rejections = null, int examplesPerReason = 3) => new
    {
        source,
        accepted,
        rejected = counts.Values.Sum(),
        by_reason = counts,
        descriptions = counts.Keys.ToDictionary(k => k, FormatRejectReason.Describe),
        examples = rejections?.GroupBy(r => r.Reason).ToDictionary(g => g.Key,
            g => g.Take(examplesPerReason).Select(r => new { line = r.LineNumber, detail = r.Detail, text = r.Text }).ToList()),
    };

    public static void WriteJson(string path, object value) =>
        WriteAtomically(path, w => w.WriteLine(JsonSerializer.Serialize(value, Indented)));

    public static void WriteAtomically(string path, Action<TextWriter> write)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var writer = new StreamWriter(temp, append: false, new System.Text.UTF8Encoding(false)))
                write(writer);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new CircuitLensException($"cannot write {path}: {e.Message}", e);
        }
    }
}
