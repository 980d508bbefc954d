// Reads a Hugging Face tokenizer.json that holds a byte-level BPE model (GPT-2, DistilGPT-2, GPT-Neo,
// Pythia...): model.vocab (token -> id), model.merges ("left right" strings or [left, right] pairs, in
// rank order) and added_tokens (e.g. <|endoftext|>). It only parses and validates; anything else the
// file may configure (normalizers, post-processors, other model types) is refused rather than ignored.
// Every error is a CircuitLensException naming the file.
using System.Text.Json;

namespace CircuitLens.Tokenization;

internal static class TokenizerJsonReader
{
    public sealed record Contents(Dictionary<string, int> Vocab, List<(string Left, string Right)> Merges, Dictionary<string, int> Specials);

    public static Contents Read(byte[] bytes, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new CircuitLensException($"{source}: not a Hugging Face tokenizer.json (no \"model\" object)");
            string? type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type is not (null or "BPE"))
                throw new CircuitLensException($"{source}: model type \"{type}\" is not supported (GPT-2-family byte-level BPE only)");
            if (root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object
                && pre.TryGetProperty("type", out var preType) && preType.GetString() != "ByteLevel")
                throw new CircuitLensException($"{source}: pre-tokenizer \"{preType}\" is not supported (GPT-2-family byte-level BPE only)");
            if (pre.ValueKind == JsonValueKind.Object && pre.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.True)
                throw new CircuitLensException($"{source}: add_prefix_space is not supported (GPT-2 encodes the text as given)");
            if (model.TryGetProperty("ignore_merges", out var ignore) && ignore.ValueKind == JsonValueKind.True)
                throw new CircuitLensException($"{source}: ignore_merges is not supported (GPT-2-family byte-level BPE only)");
            if (root.TryGetProperty("normalizer", out var norm) && norm.ValueKind != JsonValueKind.Null)
                throw new CircuitLensException($"{source}: a normalizer is not supported (GPT-2-family byte-level BPE has none)");

            if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
                throw new CircuitLensException($"{source}: model.vocab must be a JSON object of token -> id");
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in vocabElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                    throw new CircuitLensException($"{source}: id of token \"{entry.Name}\" is not a non-negative integer");
                if (!vocab.TryAdd(entry.Name, id)) throw new CircuitLensException($"{source}: token \"{entry.Name}\" appears twice");
            }
            if (vocab.Count == 0) throw new CircuitLensException($"{source}: vocabulary is empty");

            var merges = new List<(string, string)>();
            if (model.TryGetProperty("merges", out var mergesElement))
            {
                if (mergesElement.ValueKind != JsonValueKind.Array) throw new CircuitLensException($"{source}: model.merges must be an array");
                int rank = 0;
                foreach (var m in mergesElement.EnumerateArray())
                {
                    merges.Add(ReadMerge(m, source, rank++));
                }
            }

            var specials = new Dictionary<string, int>(StringComparer.Ordinal);
            if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (var a in added.EnumerateArray())
                {
                    if (a.ValueKind != JsonValueKind.Object || !a.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String
                        || !a.TryGetProperty("id", out var i) || !i.TryGetInt32(out int id) || id < 0)
                        throw new CircuitLensException($"{source}: every added token needs a \"content\" string and a non-negative \"id\"");
                    specials[c.GetString()!] = id;
                }
            }
            Gpt2VocabularyReader.CheckIdRange(vocab.Values.Concat(specials.Values), vocab.Count + specials.Count, source);
            return new Contents(vocab, merges, specials);
        }
        catch (JsonException ex)
        {
            throw new CircuitLensException($"{source}: malformed tokenizer JSON ({Gpt2VocabularyReader.FirstLine(ex.Message)})", ex);
        }
        catch (InvalidOperationException ex) // a string that is not valid UTF-8, or a value of the wrong kind
        {
            throw new CircuitLensException($"{source}: unreadable tokenizer JSON ({Gpt2VocabularyReader.FirstLine(ex.Message)})", ex);
        }
    }

    private static (string, string) ReadMerge(JsonElement m, string source, int rank)
    {
        if (m.ValueKind == JsonValueKind.String)
        {
            string line = m.GetString()!;
            int space = line.IndexOf(' ');
            if (space > 0 && space < line.Length - 1 && line.IndexOf(' ', space + 1) < 0) return (line[..space], line[(space + 1)..]);
        }
        else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2
                 && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String
                 && m[0].GetString()!.Length > 0 && m[1].GetString()!.Length > 0)
            return (m[0].GetString()!, m[1].GetString()!);
        throw new CircuitLensException($"{source}: merge {rank} is not \"left right\" or [left, right]: {Shorten(m.GetRawText())}");
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
