// Reads and writes IOI pairs as JSONL: one IoiPair object per line, snake_case names, null fields
// left out. Reading skips blank lines and reports errors as "<file>:<line>: ...". Writing goes to a
// temporary file that is renamed into place, so a failed write never leaves a half-written file.
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.Ioi;

public static class IoiJsonl
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // keep names and quotes readable; files, not HTML
    };

    private static readonly string[] s_requiredFields = ["clean", "corrupt", "answer", "wrong"];

    /// <summary>
    /// Reads pairs from <paramref name="path"/>. With a tokenizer, also checks that every answer and
    /// wrong is a single token (the logit-difference metric needs one id each).
    /// </summary>
    public static List<IoiPair> Read(string path, Gpt2Tokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CircuitLensException($"{path}: cannot read IOI pairs ({ex.Message})", ex);
        }
        var pairs = new List<IoiPair>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            string where = $"{path}:{i + 1}";
            IoiPair pair = ParseLine(lines[i], where);
            if (tokenizer is not null) CheckSingleTokenAnswers(pair, tokenizer, where);
            pairs.Add(pair);
        }
        if (pairs.Count == 0) throw new CircuitLensException($"{path}: no IOI pairs in the file");
        return pairs;
    }

    /// <summary>Parses one JSONL line; <paramref name="where"/> ("file:line") prefixes every error.</summary>
    public static IoiPair ParseLine(string line, string where)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(line);
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new CircuitLensException($"{where}: malformed JSON ({FirstLine(ex.Message)})", ex);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new CircuitLensException($"{where}: expected a JSON object, got {root.ValueKind}");
        foreach (string field in s_requiredFields)
        {
            if (!root.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
                throw new CircuitLensException($"{where}: missing required field \"{field}\"");
            if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
                throw new CircuitLensException($"{where}: field \"{field}\" must be a non-empty string");
        }
        try
        {
            return root.Deserialize<IoiPair>(s_options)!;
        }
        catch (JsonException ex)
        {
            throw new CircuitLensException($"{where}: field {ex.Path ?? "?"} has the wrong type ({FirstLine(ex.Message)})", ex);
        }
    }

    /// <summary>Throws unless answer and wrong each encode to exactly one token and differ.</summary>
    public static void CheckSingleTokenAnswers(IoiPair pair, Gpt2Tokenizer tokenizer, string where)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (!tokenizer.TryGetSingleToken(pair.Answer, out int answer))
            throw new CircuitLensException($"{where}: field \"answer\" (\"{pair.Answer}\") is {tokenizer.Encode(pair.Answer).Length} tokens, must be 1");
        if (!tokenizer.TryGetSingleToken(pair.Wrong, out int wrong))
            throw new CircuitLensException($"{where}: field \"wrong\" (\"{pair.Wrong}\") is {tokenizer.Encode(pair.Wrong).Length} tokens, must be 1");
        if (answer == wrong)
            throw new CircuitLensException($"{where}: fields \"answer\" and \"wrong\" are the same token (\"{pair.Answer}\")");
    }

    /// <summary>The pairs as a logit-diff pair set (every IoiPair field kept), for the generic experiment stages.</summary>
    public static Pairs.PairSet ToPairSet(IReadOnlyList<IoiPair> pairs, string source)
    {
        var rows = new List<Pairs.PairRow>(pairs.Count);
        for (int i = 0; i < pairs.Count; i++)
        {
            var obj = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(ToJsonLine(pairs[i]))!;
            rows.Add(Pairs.PairFile.FromJson(obj, $"{source}: row {i + 1}"));
        }
        return new Pairs.PairSet(source, rows);
    }

    /// <summary>One JSON line for a pair (no newline).</summary>
    public static string ToJsonLine(IoiPair pair) => JsonSerializer.Serialize(pair, s_options);

    /// <summary>Writes all pairs to <paramref name="writer"/>, one line each.</summary>
    public static void Write(TextWriter writer, IEnumerable<IoiPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(pairs);
        foreach (IoiPair pair in pairs)
        {
            writer.Write(ToJsonLine(pair));
            writer.Write('\n');
        }
    }

    /// <summary>Writes all pairs to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Write(string path, IEnumerable<IoiPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(false)))
                Write(writer, pairs);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new CircuitLensException($"{path}: cannot write IOI pairs ({ex.Message})", ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string FirstLine(string s)
    {
        int nl = s.IndexOfAny(['\r', '\n']);
        return nl < 0 ? s : s[..nl];
    }
}
