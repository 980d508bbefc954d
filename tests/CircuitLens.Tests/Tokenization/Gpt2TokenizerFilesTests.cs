// Loading tokenizers from vocab.json + merges.txt or tokenizer.json: a tiny hand-written vocabulary
// (merge order matters), the model-directory fallback, and one-line errors for malformed files
// (huge ids that must not allocate, invalid UTF-8).
using CircuitLens.Tokenization;

namespace CircuitLens.Tests.Tokenization;

public sealed class Gpt2TokenizerFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cl-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Vocab, string Merges) Write(string vocabJson, string merges)
    {
        string v = Path.Combine(_dir, "vocab.json"), m = Path.Combine(_dir, "merges.txt");
        File.WriteAllText(v, vocabJson);
        File.WriteAllText(m, merges);
        return (v, m);
    }

    // "Ġ" is the byte-alphabet character for the space byte
    private const string TinyVocab = """{"a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "abc": 5, "Ġabc": 6, "bc": 7}""";

    [Fact]
    public void TinyVocabularyMergesByRank()
    {
        var (v, m) = Write(TinyVocab, "#version: 0.2\na b\nab c\nĠ abc\n");
        var tok = Gpt2Tokenizer.FromFiles(v, m);
        Assert.Equal(8, tok.VocabSize);
        Assert.Equal(-1, tok.EndOfTextTokenId);
        Assert.Equal(new[] { 6, 3, 4 }, tok.Encode(" abc ab"));
        Assert.Equal(" abc ab", tok.Decode(new[] { 6, 3, 4 }));
        Assert.Equal(new[] { 5 }, tok.Encode("abc"));
    }

    [Fact]
    public void LowerRankMergeWins()
    {
        var (v, m) = Write(TinyVocab, "#version: 0.2\nb c\na b\nab c\n");
        var tok = Gpt2Tokenizer.FromFiles(v, m);
        Assert.Equal(new[] { 0, 7 }, tok.Encode("abc")); // "b c" (rank 0) blocks "a b"
    }

    [Fact]
    public void SymbolMissingFromVocabularyIsAnError()
    {
        var (v, m) = Write(TinyVocab, "a b\n");
        var tok = Gpt2Tokenizer.FromFiles(v, m);
        var ex = Assert.Throws<CircuitLensException>(() => tok.Encode("d"));
        Assert.Contains("not in the vocabulary", ex.Message);
    }

    [Fact]
    public void ModelDirectoryUsesItsFilesOrFallsBackToDefault()
    {
        Assert.Same(Gpt2Tokenizer.Default, Gpt2Tokenizer.FromModelDirectory(_dir));
        Write(TinyVocab, "a b\n");
        var tok = Gpt2Tokenizer.FromModelDirectory(_dir);
        Assert.NotSame(Gpt2Tokenizer.Default, tok);
        Assert.Equal(8, tok.VocabSize);
    }

    private string WriteTokenizerJson(object json)
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(json));
        return path;
    }

    private static object TinyTokenizerJson(object merges, object? addedTokens = null) => new
    {
        version = "1.0",
        added_tokens = addedTokens ?? new object[] { new { id = 8, content = "<|endoftext|>", special = true } },
        normalizer = (object?)null,
        pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
        model = new
        {
            type = "BPE",
            vocab = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(TinyVocab),
            merges,
        },
    };

    [Fact]
    public void TokenizerJsonWithStringOrPairMergesAndAddedTokens()
    {
        foreach (object merges in new object[] { new[] { "a b", "ab c", "Ġ abc" }, new[] { new[] { "a", "b" }, new[] { "ab", "c" }, new[] { "Ġ", "abc" } } })
        {
            var tok = Gpt2Tokenizer.FromTokenizerJson(WriteTokenizerJson(TinyTokenizerJson(merges)));
            Assert.Equal(9, tok.VocabSize);
            Assert.Equal(8, tok.EndOfTextTokenId);
            Assert.Equal(new[] { 6, 3, 4, 8, 5 }, tok.Encode(" abc ab<|endoftext|>abc"));
            Assert.Equal(" abc ab<|endoftext|>abc", tok.Decode(new[] { 6, 3, 4, 8, 5 }));
        }
    }

    [Fact]
    public void ModelDirectoryPrefersTokenizerJson()
    {
        Write(TinyVocab, "a b\n");
        WriteTokenizerJson(TinyTokenizerJson(new[] { "a b", "ab c" }));
        var tok = Gpt2Tokenizer.FromModelDirectory(_dir);
        Assert.Equal(new[] { 5 }, tok.Encode("abc")); // "ab c" exists only in tokenizer.json
    }

    [Fact]
    public void TokenizerJsonOfAnotherKindIsRefused()
    {
        string path = WriteTokenizerJson(new { model = new { type = "WordPiece", vocab = new Dictionary<string, int> { ["a"] = 0 } } });
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromTokenizerJson(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("WordPiece", ex.Message);
    }

    [Fact]
    public void TokenizerJsonWithPrefixSpaceIsRefused()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(TinyTokenizerJson(new[] { "a b" })))!;
        json["pre_tokenizer"]!["add_prefix_space"] = true;
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromTokenizerJson(path));
        Assert.Contains("add_prefix_space", ex.Message);
    }

    // Issue 11: a 30-byte vocab.json with id 2000000000 drove memory to 15.7 GB before failing.
    [Fact]
    public void HugeIdIsRejectedWithoutAllocatingTheIdSpace()
    {
        var (v, m) = Write("""{"a": 0, "b": 2000000000}""", "a b\n");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromFiles(v, m));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "allocated more than 16 MB");
        Assert.Contains(v, ex.Message);
        Assert.Contains("2000000000", ex.Message);
    }

    [Fact]
    public void HugeIdInTokenizerJsonIsRejected()
    {
        string path = WriteTokenizerJson(TinyTokenizerJson(new[] { "a b" }, new object[] { new { id = 2000000000, content = "<|endoftext|>" } }));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromTokenizerJson(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "allocated more than 16 MB");
        Assert.Contains(path, ex.Message);
        Assert.Contains("2000000000", ex.Message);
    }

    [Fact]
    public void InvalidUtf8InTokenizerJsonNamesTheFile()
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllBytes(path, [.. "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a"u8, 0xFF, .. "\": 0}, \"merges\": []}}"u8]);
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromTokenizerJson(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void SharedGpt2FilesMatchTheStandardVocabulary()
    {
        string dir = Path.Combine(TestPaths.Shared, "tokenizer", "gpt2");
        var tok = Gpt2Tokenizer.FromFiles(Path.Combine(dir, "encoder.json"), Path.Combine(dir, "vocab.bpe"));
        const string text = "When John and Mary went to the shops, Mary gave the bag to";
        Assert.Equal(Gpt2Tokenizer.Default.Encode(text), tok.Encode(text));
        Assert.Equal(50257, tok.VocabSize);
        Assert.Equal(Gpt2Tokenizer.EndOfTextId, tok.EndOfTextTokenId);
        Assert.Equal(new[] { 15496, 50256, 995 }, tok.Encode("Hello<|endoftext|> world"));
        Assert.Equal("Hello<|endoftext|> world 🙂", tok.Decode(tok.Encode("Hello<|endoftext|> world 🙂")));
    }

    [Theory]
    [InlineData("not json", "malformed")]
    [InlineData("[1, 2]", "JSON object")]
    [InlineData("""{"a": "zero"}""", "\"a\"")]
    [InlineData("""{"a": -1}""", "\"a\"")]
    [InlineData("""{"a": 0, "a": 1}""", "twice")]
    [InlineData("""{"a": 0""", "malformed")]
    [InlineData("{}", "empty")]
    public void MalformedVocabularyNamesTheFile(string vocabJson, string expected)
    {
        var (v, m) = Write(vocabJson, "a b\n");
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromFiles(v, m));
        Assert.Contains(v, ex.Message);
        Assert.Contains(expected, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData("#version: 0.2\na b\nabc\n", 3)]
    [InlineData("a b\na b c\n", 2)]
    [InlineData("a \n", 1)]
    public void MalformedMergesNameFileAndLine(string merges, int line)
    {
        var (v, m) = Write(TinyVocab, merges);
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromFiles(v, m));
        Assert.Contains($"{m}:{line}:", ex.Message);
    }

    [Fact]
    public void InvalidUtf8InVocabularyNamesTheFile()
    {
        var (v, m) = Write("{}", "a b\n");
        File.WriteAllBytes(v, [.. "{\"a"u8, 0xFF, 0xFE, .. "\": 0}"u8]);
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromFiles(v, m));
        Assert.Contains(v, ex.Message);
        Assert.Contains("UTF-8", ex.Message);
    }

    [Fact]
    public void InvalidUtf8InMergesNamesTheFile()
    {
        var (v, m) = Write(TinyVocab, "");
        File.WriteAllBytes(m, [.. "a b\n"u8, 0xC3, 0x28, .. " c\n"u8]);
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromFiles(v, m));
        Assert.Contains(m, ex.Message);
        Assert.Contains("UTF-8", ex.Message);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        string missing = Path.Combine(_dir, "nope.json");
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromFiles(missing, missing));
        Assert.Contains(missing, ex.Message);
    }
}
