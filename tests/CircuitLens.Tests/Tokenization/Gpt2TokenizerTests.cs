// Behaviour of Gpt2Tokenizer beyond the golden cases: known ids, <|endoftext|>, single-token
// lookups, invalid UTF-8 on decode, and thread safety of the shared instance.
using CircuitLens.Tokenization;

namespace CircuitLens.Tests.Tokenization;

public class Gpt2TokenizerTests
{
    private static Gpt2Tokenizer Tok => Gpt2Tokenizer.Default;

    [Theory]
    [InlineData(" John", 1757)]
    [InlineData(" Mary", 5335)]
    [InlineData(" Tom", 4186)]
    [InlineData(" James", 3700)]
    [InlineData("When", 2215)]
    [InlineData(" to", 284)]
    [InlineData(" gave", 2921)]
    [InlineData(" the", 262)]
    [InlineData(",", 11)]
    public void KnownSingleTokenIds(string text, int id)
    {
        Assert.Equal(new[] { id }, Tok.Encode(text));
        Assert.True(Tok.TryGetSingleToken(text, out int got));
        Assert.Equal(id, got);
        Assert.Equal(id, Tok.TokenId(text));
        Assert.Equal(text, Tok.TokenToString(id));
    }

    [Fact]
    public void VocabularyFacts()
    {
        Assert.Equal(50257, Tok.VocabSize);
        Assert.Equal(Gpt2Tokenizer.EndOfTextId, Tok.EndOfTextTokenId);
        Assert.Same(Gpt2Tokenizer.Default, Gpt2Tokenizer.Default);
    }

    [Fact]
    public void EndOfTextIsSpecialWhenAllowed()
    {
        int[] ids = Tok.Encode("Hello<|endoftext|> world<|endoftext|>");
        Assert.Equal(new[] { 15496, 50256, 995, 50256 }, ids);
        Assert.Equal("Hello<|endoftext|> world<|endoftext|>", Tok.Decode(ids));
        Assert.Equal(new[] { 50256 }, Tok.Encode(Gpt2Tokenizer.EndOfText));
        Assert.Equal(Gpt2Tokenizer.EndOfText, Tok.TokenToString(50256));
    }

    [Fact]
    public void EndOfTextIsPlainTextWhenNotAllowed()
    {
        int[] ids = Tok.Encode("<|endoftext|>", allowSpecial: false);
        Assert.DoesNotContain(50256, ids);
        Assert.True(ids.Length > 1);
        Assert.Equal("<|endoftext|>", Tok.Decode(ids));
        Assert.False(Tok.TryGetSingleToken("<|endoftext|>x", out _));
    }

    [Fact]
    public void MultiTokenTextIsNotSingleToken()
    {
        Assert.False(Tok.TryGetSingleToken(" Johnathanson", out int id));
        Assert.Equal(-1, id);
        Assert.False(Tok.TryGetSingleToken("", out _));
        var ex = Assert.Throws<CircuitLensException>(() => Tok.TokenId(" Johnathanson"));
        Assert.Contains("Johnathanson", ex.Message);
    }

    [Fact]
    public void DecodeReplacesInvalidUtf8LikeHuggingFace()
    {
        // "🙂" is two tokens of partial UTF-8 bytes; one alone is not valid UTF-8
        int[] ids = Tok.Encode("🙂");
        Assert.Equal(2, ids.Length);
        Assert.Equal("\uFFFD", Tok.TokenToString(ids[0]));
        Assert.Equal("🙂", Tok.Decode(ids));
        Assert.Equal("\uFFFD\uFFFD", Tok.TokenToString(ids[1])); // two stray continuation bytes, as Python's errors="replace"
    }

    [Fact]
    public void LettersOutsideTheBmpStayInOneWordWithTheirSpace()
    {
        // GPT-2's pattern (run on code points) reads U+1D400.. as letters: " 𝐀𝐁" is one word, "!" another.
        // A UTF-16 .NET Regex (the library's own pre-tokenizer) would glue "!" to them.
        int[] expected = [.. Tok.Encode("a"), .. Tok.Encode(" \U0001D400\U0001D401"), .. Tok.Encode("!")];
        Assert.Equal(expected, Tok.Encode("a \U0001D400\U0001D401!"));
        Assert.Equal("a \U0001D400\U0001D401!", Tok.Decode(expected));
    }

    [Fact]
    public void DecodeRejectsIdsOutsideTheVocabulary()
    {
        Assert.Throws<CircuitLensException>(() => Tok.Decode(new[] { 50257 }));
        Assert.Throws<CircuitLensException>(() => Tok.TokenToString(-1));
    }

    [Fact]
    public void LongTextRoundTrips()
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < 300; i++) sb.Append("When John and Mary went to the shops, Mary gave the bag to John. ");
        string text = sb.ToString() + new string('x', 1000); // a word longer than the stack buffers
        Assert.Equal(text, Tok.Decode(Tok.Encode(text)));
    }

    [Fact]
    public void ConcurrentEncodingGivesTheSameIds()
    {
        string[] texts = { "When John and Mary went to the shops, Mary gave the bag to", "naïve café 🙂 日本語", "  x\n\n\ty " };
        int[][] expected = Array.ConvertAll(texts, t => Tok.Encode(t));
        Parallel.For(0, 2000, i =>
        {
            int k = i % texts.Length;
            Assert.Equal(expected[k], Tok.Encode(texts[k] + "", allowSpecial: true));
        });
    }
}
