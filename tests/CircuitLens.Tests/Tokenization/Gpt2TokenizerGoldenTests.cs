// The 70 golden tokenizer cases from shared/fixtures/tokenizer_cases.json, both directions: through the
// standard vocabulary (Tiktoken gpt2) and through the file-based path (byte-level BPE from GPT-2's own
// encoder.json + vocab.bpe, and the same vocabulary as a Hugging Face tokenizer.json).
using System.Text.Json;
using CircuitLens.Tokenization;

namespace CircuitLens.Tests.Tokenization;

public class Gpt2TokenizerGoldenTests
{
    private sealed record Case(string text, int[] ids);

    private static readonly Lazy<Case[]> s_cases = new(() =>
        JsonSerializer.Deserialize<Case[]>(File.ReadAllText(TestPaths.Fixture("tokenizer_cases.json")))!);

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < s_cases.Value.Length; i++) data.Add(i);
        return data;
    }

    private static readonly Lazy<Gpt2Tokenizer> s_fromFiles = new(() =>
    {
        string dir = Path.Combine(TestPaths.Shared, "tokenizer", "gpt2");
        return Gpt2Tokenizer.FromFiles(Path.Combine(dir, "encoder.json"), Path.Combine(dir, "vocab.bpe"));
    });

    private static readonly Lazy<Gpt2Tokenizer> s_fromTokenizerJson = new(() =>
    {
        string dir = Path.Combine(TestPaths.Shared, "tokenizer", "gpt2");
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(dir, "encoder.json")))!;
        var merges = File.ReadAllLines(Path.Combine(dir, "vocab.bpe")).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(' ')).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"circuitlens-tokjson-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            added_tokens = new[] { new { id = 50256, content = "<|endoftext|>", special = true } },
            normalizer = (object?)null,
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false },
            model = new { type = "BPE", vocab, merges },
        }));
        try { return Gpt2Tokenizer.FromTokenizerJson(path); }
        finally { File.Delete(path); }
    });

    [Theory]
    [InlineData("files")]
    [InlineData("tokenizer.json")]
    public void FileBasedTokenizersMatchAllGoldenCases(string source)
    {
        var tok = source == "files" ? s_fromFiles.Value : s_fromTokenizerJson.Value;
        foreach (Case c in s_cases.Value)
        {
            Assert.Equal(c.ids, tok.Encode(c.text));
            Assert.Equal(c.text, tok.Decode(c.ids));
        }
    }

    [Fact]
    public void FixtureHasAllSeventyCases() => Assert.Equal(70, s_cases.Value.Length);

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void EncodeMatchesGolden(int index)
    {
        Case c = s_cases.Value[index];
        Assert.Equal(c.ids, Gpt2Tokenizer.Default.Encode(c.text));
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void DecodeMatchesGolden(int index)
    {
        Case c = s_cases.Value[index];
        Assert.Equal(c.text, Gpt2Tokenizer.Default.Decode(c.ids));
    }
}
