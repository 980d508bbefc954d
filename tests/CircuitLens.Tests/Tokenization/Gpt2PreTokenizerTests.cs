// The hand-written pre-tokenizer against the GPT-2 pattern's semantics, including the cases a
// UTF-16 .NET Regex would get wrong (letters outside the BMP).
using CircuitLens.Tokenization;

namespace CircuitLens.Tests.Tokenization;

public class Gpt2PreTokenizerTests
{
    private static string[] Split(string text)
    {
        var pieces = new List<string>();
        for (int start = 0; start < text.Length;)
        {
            int end = Gpt2PreTokenizer.NextEnd(text, start);
            Assert.True(end > start);
            pieces.Add(text[start..end]);
            start = end;
        }
        return pieces.ToArray();
    }

    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("Hello  world", new[] { "Hello", " ", " world" })]
    [InlineData("don't DON'T", new[] { "don", "'t", " DON", "'", "T" })]
    [InlineData("we'll they're I've", new[] { "we", "'ll", " they", "'re", " I", "'ve" })]
    [InlineData("x  \n", new[] { "x", "  \n" })]
    [InlineData("a\tb", new[] { "a", "\t", "b" })]
    [InlineData("a \t b", new[] { "a", " \t", " b" })]
    [InlineData("1,000!!", new[] { "1", ",", "000", "!!" })]
    [InlineData(" 123abc", new[] { " 123", "abc" })]
    [InlineData(" !?", new[] { " !?" })]
    [InlineData("'", new[] { "'" })]
    [InlineData("'x", new[] { "'", "x" })]
    public void SplitsLikeThePattern(string text, string[] expected) => Assert.Equal(expected, Split(text));

    [Fact]
    public void LettersOutsideTheBmpAreLetters()
    {
        // U+1D400 MATHEMATICAL BOLD CAPITAL A is \p{L}: one word with its leading space
        Assert.Equal(new[] { "a", " \U0001D400\U0001D401", "!" }, Split("a \U0001D400\U0001D401!"));
        // emoji are "other" and stay whole surrogate pairs
        Assert.Equal(new[] { "a", "🙂", "b" }, Split("a🙂b"));
    }

    [Fact]
    public void UnicodeWhitespaceCountsAsSpace()
    {
        // U+00A0 and U+3000 are White_Space; U+200B (zero width space) is not
        Assert.Equal(new[] { "a", "\u00A0", "b" }, Split("a\u00A0b"));
        Assert.Equal(new[] { "a", "\u3000", "b" }, Split("a\u3000b"));
        Assert.Equal(new[] { "zero", "\u200B", "width" }, Split("zero\u200Bwidth"));
    }
}
