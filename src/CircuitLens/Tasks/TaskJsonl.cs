// Writes task datasets (greater-than, acronyms, induction) as pair-file JSONL: one JSON object per
// line with the fields the pair-file reader understands (clean/corrupt or clean_ids/corrupt_ids,
// metric, answers) plus the task's own fields, which readers pass through. The file appears whole
// or not at all (AtomicFile). It does not read pair files; the patching side owns the reader.
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks;

public static class TaskJsonl
{
    private static readonly JsonSerializerOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One row as a single JSON line (no newline).</summary>
    public static string ToLine(JsonObject row) => row.ToJsonString(s_options);

    /// <summary>All rows, one line each, to <paramref name="writer"/>.</summary>
    public static void Write(TextWriter writer, IEnumerable<JsonObject> rows)
    {
        foreach (var row in rows) { writer.Write(ToLine(row)); writer.Write('\n'); }
    }

    /// <summary>All rows to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, IEnumerable<JsonObject> rows)
    {
        var sb = new StringBuilder();
        foreach (var row in rows) sb.Append(ToLine(row)).Append('\n');
        try { AtomicFile.WriteAllText(path, sb.ToString()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CircuitLensException($"cannot write {path}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>A JSON array of strings.</summary>
    public static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());

    /// <summary>A JSON array of integers.</summary>
    public static JsonArray Ints(IEnumerable<int> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
