// Reads and writes pair files: JSONL, one clean/corrupted pair per line, in one of three metric forms
//   {"clean": "...", "corrupt": "...", "answer": " John", "wrong": " Mary"}                       logit-diff (default)
//   {"clean": "...", "corrupt": "...", "metric": "prob-diff", "answers": [...], "wrong_answers": [...]}
//   {"clean": "...", "corrupt": "...", "metric": "logit-diff-to-max", "answer": "W", "candidates": [...]}
// Token ids may replace text anywhere: clean_ids, corrupt_ids, answer_id, wrong_id, answer_ids,
// wrong_answer_ids, candidate_ids (ids win when both are given). All rows of a file use one metric.
// Other fields are kept (PairRow.Fields) and written back unchanged. Errors name "<file>:<line>".
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Patching.Metrics;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Pairs;

public static class PairFile
{
    private static readonly JsonSerializerOptions s_write = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads every row of <paramref name="path"/>; throws (naming the line) on a malformed row or a second metric.</summary>
    public static PairSet Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CircuitLensException($"{path}: cannot read pairs ({ex.Message})", ex);
        }
        var rows = new List<PairRow>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            rows.Add(ParseLine(lines[i], $"{path}:{i + 1}") with { Line = i + 1 });
        }
        if (rows.Count == 0) throw new CircuitLensException($"{path}: no pairs in the file");
        return new PairSet(path, rows);
    }

    /// <summary>Parses one line; <paramref name="where"/> ("file:line") prefixes every error.</summary>
    public static PairRow ParseLine(string line, string where)
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(line) as JsonObject ?? throw new CircuitLensException($"{where}: expected a JSON object");
        }
        catch (JsonException ex)
        {
            throw new CircuitLensException($"{where}: malformed JSON ({FirstLine(ex.Message)})", ex);
        }
        return FromJson(obj, where);
    }

    /// <summary>A row from a JSON object (e.g. a generator's output); <paramref name="where"/> prefixes errors.</summary>
    public static PairRow FromJson(JsonObject obj, string where)
    {
        string metric = OptionalString(obj, "metric", where) ?? LogitDiffMetric.MetricName;
        if (!PatchingMetric.Names.Contains(metric))
            throw new CircuitLensException($"{where}: unknown metric \"{metric}\" (choose from {string.Join(", ", PatchingMetric.Names)})");
        var (clean, cleanIds) = Prompt(obj, "clean", where);
        var (corrupt, corruptIds) = Prompt(obj, "corrupt", where);
        IReadOnlyList<PairToken> answers, wrong = [], candidates = [];
        switch (metric)
        {
            case LogitDiffMetric.MetricName:
                answers = [OneToken(obj, "answer", "answer_id", where)];
                wrong = [OneToken(obj, "wrong", "wrong_id", where)];
                break;
            case ProbDiffMetric.MetricName:
                answers = TokenList(obj, "answers", "answer_ids", where);
                wrong = TokenList(obj, "wrong_answers", "wrong_answer_ids", where);
                break;
            default:
                answers = [OneToken(obj, "answer", "answer_id", where)];
                candidates = TokenList(obj, "candidates", "candidate_ids", where);
                break;
        }
        return new PairRow
        {
            Clean = clean, CleanIds = cleanIds, Corrupt = corrupt, CorruptIds = corruptIds,
            Metric = metric, Answers = answers, Wrong = wrong, Candidates = candidates, Fields = obj,
        };
    }

    /// <summary>One JSON line for a row (no newline): its fields as read, in their order.</summary>
    public static string ToJsonLine(PairRow row) => row.Fields.ToJsonString(s_write);

    /// <summary>Writes the rows to <paramref name="path"/> atomically, one line each (an empty list writes an empty file).</summary>
    public static void Write(string path, IEnumerable<PairRow> rows)
    {
        var sb = new StringBuilder();
        foreach (var row in rows) sb.Append(ToJsonLine(row)).Append('\n');
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    // text field or *_ids field (ids win); at least one is required
    private static (string? Text, int[]? Ids) Prompt(JsonObject obj, string field, string where)
    {
        int[]? ids = obj.ContainsKey(field + "_ids") ? IntList(obj, field + "_ids", where) : null;
        string? text = OptionalString(obj, field, where);
        if (ids is null && text is null) throw new CircuitLensException($"{where}: missing required field \"{field}\" (or \"{field}_ids\")");
        if (ids is { Length: 0 }) throw new CircuitLensException($"{where}: field \"{field}_ids\" is empty");
        if (ids is null && text!.Length == 0) throw new CircuitLensException($"{where}: field \"{field}\" is empty");
        return (text, ids);
    }

    private static PairToken OneToken(JsonObject obj, string textField, string idField, string where)
    {
        if (obj.TryGetPropertyValue(idField, out var idNode) && idNode is not null)
            return PairToken.FromId(Int(idNode, idField, where));
        string? text = OptionalString(obj, textField, where);
        if (string.IsNullOrEmpty(text)) throw new CircuitLensException($"{where}: missing required field \"{textField}\" (or \"{idField}\")");
        return PairToken.FromText(text);
    }

    private static IReadOnlyList<PairToken> TokenList(JsonObject obj, string textField, string idField, string where)
    {
        if (obj.ContainsKey(idField)) return IntList(obj, idField, where).Select(PairToken.FromId).ToList();
        if (!obj.TryGetPropertyValue(textField, out var node) || node is null)
            throw new CircuitLensException($"{where}: missing required field \"{textField}\" (or \"{idField}\")");
        if (node is not JsonArray array) throw new CircuitLensException($"{where}: field \"{textField}\" must be a list of strings");
        var list = new List<PairToken>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonValue v || !v.TryGetValue(out string? s) || string.IsNullOrEmpty(s))
                throw new CircuitLensException($"{where}: field \"{textField}\" must be a list of non-empty strings");
            list.Add(PairToken.FromText(s));
        }
        return list;
    }

    private static int[] IntList(JsonObject obj, string field, string where)
    {
        if (obj[field] is not JsonArray array) throw new CircuitLensException($"{where}: field \"{field}\" must be a list of token ids");
        return array.Select(n => Int(n, field, where)).ToArray();
    }

    private static int Int(JsonNode? node, string field, string where)
    {
        if (node is JsonValue v && v.TryGetValue(out int id) && id >= 0) return id;
        if (node is JsonValue d && d.TryGetValue(out double x) && x >= 0 && x == Math.Floor(x) && x <= int.MaxValue) return (int)x;
        throw new CircuitLensException($"{where}: field \"{field}\" must hold non-negative integer token ids, got {node?.ToJsonString() ?? "null"}");
    }

    private static string? OptionalString(JsonObject obj, string field, string where)
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out string? s)) return s;
        throw new CircuitLensException($"{where}: field \"{field}\" must be a string");
    }

    private static string FirstLine(string s)
    {
        int nl = s.IndexOfAny(['\r', '\n']);
        return nl < 0 ? s : s[..nl];
    }
}
