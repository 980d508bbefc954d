// Loading tokenizers from vocab.json + merges.txt: a tiny hand-written vocabulary (merge order
// matters), the model-directory fallback, and one-line errors for malformed files.
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

    [Fact]
    public void SharedGpt2FilesMatchTheEmbeddedVocabulary()
    {
        string dir = Path.Combine(TestPaths.Shared, "tokenizer", "gpt2");
        var tok = Gpt2Tokenizer.FromFiles(Path.Combine(dir, "encoder.json"), Path.Combine(dir, "vocab.bpe"));
        const string text = "When John and Mary went to the shops, Mary gave the bag to";
        Assert.Equal(Gpt2Tokenizer.Default.Encode(text), tok.Encode(text));
        Assert.Equal(50257, tok.VocabSize);
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
    public void MissingFileNamesThePath()
    {
        string missing = Path.Combine(_dir, "nope.json");
        var ex = Assert.Throws<CircuitLensException>(() => Gpt2Tokenizer.FromFiles(missing, missing));
        Assert.Contains(missing, ex.Message);
    }
}
