// Reads prompts from a JSONL file for the circuit tools: path patching's --source rows and the
// reference prompts of mean/resample ablation. Each row gives its prompt in the first of the named
// fields it has (e.g. "prompt", then "corrupt"), and optionally a "template" that groups rows for
// per-template means. Errors name "<file>:<line>".
using System.Text.Json;

namespace CircuitLens.Tasks.Circuits;

public sealed record PromptRow(string Prompt, string? Template);

public static class PromptRows
{
    public static List<PromptRow> Read(string path, params string[] fields)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CircuitLensException($"{path}: cannot read prompts ({ex.Message})", ex);
        }
        var rows = new List<PromptRow>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            string where = $"{path}:{i + 1}";
            JsonElement root;
            try { using var doc = JsonDocument.Parse(lines[i]); root = doc.RootElement.Clone(); }
            catch (JsonException ex) { throw new CircuitLensException($"{where}: malformed JSON ({ex.Message.Split('\n')[0]})", ex); }
            if (root.ValueKind != JsonValueKind.Object) throw new CircuitLensException($"{where}: expected a JSON object");
            string? prompt = null;
            foreach (var f in fields)
                if (root.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String) { prompt = v.GetString(); break; }
            if (string.IsNullOrEmpty(prompt)) throw new CircuitLensException($"{where}: no prompt (expected a string field {string.Join(" or ", fields.Select(f => $"'{f}'"))})");
            string? template = root.TryGetProperty("template", out var t) ? (t.ValueKind == JsonValueKind.String ? t.GetString() : t.GetRawText()) : null;
            rows.Add(new PromptRow(prompt, template));
        }
        if (rows.Count == 0) throw new CircuitLensException($"{path}: no prompts in the file");
        return rows;
    }
}
