// Reads the two GPT-2 tokenizer files: vocab.json / encoder.json (token string -> id) and
// merges.txt / vocab.bpe (one "left right" merge per line, in rank order, after a "#version"
// header). It only parses and validates (ids bounded by the number of entries, so a tiny file cannot
// make anyone allocate gigabytes; UTF-8 checked); the BPE itself is Microsoft.ML.Tokenizers'.
// Every error is a CircuitLensException naming the file (and the line for merges).
using System.Text;
using System.Text.Json;

namespace CircuitLens.Tokenization;

internal static class Gpt2VocabularyReader
{
    /// <summary>Parses a JSON object of token -> non-negative integer id. <paramref name="source"/> names the file in errors.</summary>
    public static Dictionary<string, int> ReadVocab(ReadOnlySpan<byte> json, string source)
    {
        var vocab = ReadVocabEntries(json, source);
        CheckIdRange(vocab.Values, vocab.Count, source);
        return vocab;
    }

    /// <summary>Ids index arrays of the id space, so they must lie below <paramref name="limit"/> (the number of entries).</summary>
    public static void CheckIdRange(IEnumerable<int> ids, int limit, string source)
    {
        foreach (int id in ids)
            if (id >= limit)
                throw new CircuitLensException($"{source}: token id {id} is out of range: a vocabulary of {limit} entries has ids 0..{limit - 1}");
    }

    private static Dictionary<string, int> ReadVocabEntries(ReadOnlySpan<byte> json, string source)
    {
        var vocab = new Dictionary<string, int>(capacity: 60_000, StringComparer.Ordinal);
        if (json.StartsWith("\uFEFF"u8)) json = json[3..];
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new CircuitLensException($"{source}: vocabulary must be a JSON object of token -> id");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string token = reader.GetString()!;
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int id) || id < 0)
                    throw new CircuitLensException($"{source}: id of token \"{token}\" is not a non-negative integer");
                if (!vocab.TryAdd(token, id))
                    throw new CircuitLensException($"{source}: token \"{token}\" appears twice");
            }
            if (reader.TokenType != JsonTokenType.EndObject)
                throw new CircuitLensException($"{source}: vocabulary JSON ends early");
            reader.Read(); // anything after the closing brace is an error caught below
        }
        catch (JsonException ex)
        {
            throw new CircuitLensException($"{source}: malformed vocabulary JSON ({FirstLine(ex.Message)})", ex);
        }
        catch (InvalidOperationException ex) // a token string that is not valid UTF-8
        {
            throw new CircuitLensException($"{source}: vocabulary is not valid UTF-8 ({FirstLine(ex.Message)})", ex);
        }
        if (vocab.Count == 0) throw new CircuitLensException($"{source}: vocabulary is empty");
        return vocab;
    }

    /// <summary>Parses merges in rank order (first line = rank 0). Skips a "#version" header and blank lines.</summary>
    public static List<(string Left, string Right)> ReadMerges(string text, string source)
    {
        var merges = new List<(string, string)>(capacity: 50_000);
        int lineNumber = 0;
        foreach (ReadOnlySpan<char> rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            ReadOnlySpan<char> line = rawLine.TrimEnd('\r');
            if (line.IsEmpty || (lineNumber == 1 && line.StartsWith("#version"))) continue;
            int space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line[(space + 1)..].IndexOf(' ') >= 0)
                throw new CircuitLensException($"{source}:{lineNumber}: expected a merge \"left right\", got \"{Shorten(line)}\"");
            merges.Add((line[..space].ToString(), line[(space + 1)..].ToString()));
        }
        return merges;
    }

    public static byte[] ReadAllBytes(string path, string what)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CircuitLensException($"{path}: cannot read the {what} ({ex.Message})", ex);
        }
    }

    public static string DecodeUtf8(byte[] bytes, string source)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF'); }
        catch (DecoderFallbackException ex) { throw new CircuitLensException($"{source}: not valid UTF-8", ex); }
    }

    internal static string FirstLine(string s)
    {
        int nl = s.IndexOfAny('\r', '\n');
        return nl < 0 ? s : s[..nl];
    }

    private static string Shorten(ReadOnlySpan<char> line) => line.Length <= 60 ? line.ToString() : line[..60].ToString() + "...";
}
