// The greater-than generator: every row's tokenisation facts (year = [" XX", "YY"] in both prompts,
// equal lengths, answers "YY+1".."99" and wrong answers "00".."YY"), centuries 11–17 only,
// reproducibility by seed, and the pair-file fields it writes.
using System.Text.Json.Nodes;
using CircuitLens.Tasks.GreaterThan;
using CircuitLens.Tokenization;

namespace CircuitLens.Tests.Tasks;

public sealed class GreaterThanDatasetTests
{
    private static readonly Gpt2Tokenizer Tok = Gpt2Tokenizer.Default;

    private static IReadOnlyList<GreaterThanPair> Generate(int n = 300, int seed = 7) =>
        GreaterThanDatasetGenerator.Generate(new GreaterThanDatasetOptions { N = n, Seed = seed });

    private static string[] Tokens(string text) => Tok.Encode(text, allowSpecial: false).Select(Tok.TokenToString).ToArray();

    [Fact]
    public void EveryRowTokenisesTheYearAsCenturyAndTwoDigits()
    {
        foreach (var p in Generate())
        {
            var clean = Tokens(p.Clean); var corrupt = Tokens(p.Corrupt);
            Assert.Equal(clean.Length, corrupt.Length);
            string[] expectedTail = [$" {p.Century}", p.Year.ToString("D2"), " to", " the", " year", $" {p.Century}"];
            Assert.Equal(expectedTail, clean[^6..]);
            Assert.Equal([$" {p.Century}", "01", " to", " the", " year", $" {p.Century}"], corrupt[^6..]);
            Assert.Equal(["The", " " + p.Noun, " lasted", " from", " the", " year"], clean[..^6]);
            Assert.InRange(p.Century, 11, 17);
            Assert.InRange(p.Year, 2, 98);
        }
    }

    [Fact]
    public void AnswersAreTheTwoDigitTokensAboveTheStartYear()
    {
        foreach (var p in Generate(50))
        {
            Assert.Equal(100, p.Answers.Count + p.WrongAnswers.Count);
            Assert.All(p.Answers, a => Assert.True(int.Parse(a) > p.Year, a));
            Assert.All(p.WrongAnswers, a => Assert.True(int.Parse(a) <= p.Year, a));
            Assert.All(p.Answers.Concat(p.WrongAnswers), a => Assert.True(Tok.TryGetSingleToken(a, out _), a));
            Assert.Equal(100, p.Answers.Concat(p.WrongAnswers).Distinct().Count());
        }
    }

    [Fact]
    public void YearsThatDoNotSplitAreNeverUsed()
    {
        // " 1100" and " 1200" are single tokens; " 1102" is " 110" + "2": such years must be left out
        Assert.False(GreaterThanDatasetGenerator.SplitsAsCenturyAndYear(Tok, 11, 0));
        Assert.False(GreaterThanDatasetGenerator.SplitsAsCenturyAndYear(Tok, 11, 2));
        Assert.True(GreaterThanDatasetGenerator.SplitsAsCenturyAndYear(Tok, 17, 32));
        var valid = GreaterThanDatasetGenerator.ValidYears(Tok);
        Assert.DoesNotContain((11, 2), valid);
        Assert.Contains((17, 32), valid);
        Assert.Equal(7, valid.Select(v => v.Century).Distinct().Count());
        Assert.All(Generate(), p => Assert.Contains((p.Century, p.Year), valid));
    }

    [Fact]
    public void TheSameSeedGivesTheSameRowsAndAnotherSeedOthers()
    {
        Assert.Equal(Generate(40, 3), Generate(40, 3));
        Assert.NotEqual(Generate(40, 3), Generate(40, 4));
        Assert.True(Generate(300).Select(p => p.Noun).Distinct().Count() > 60, "nouns are drawn from the whole list");
    }

    [Fact]
    public void WritesThePairFileFields()
    {
        var p = new GreaterThanPair("war", 17, 32);
        JsonObject row = p.ToJson();
        Assert.Equal("The war lasted from the year 1732 to the year 17", (string)row["clean"]!);
        Assert.Equal("The war lasted from the year 1701 to the year 17", (string)row["corrupt"]!);
        Assert.Equal("prob-diff", (string)row["metric"]!);
        Assert.Equal(Enumerable.Range(33, 67).Select(y => y.ToString("D2")), row["answers"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(Enumerable.Range(0, 33).Select(y => y.ToString("D2")), row["wrong_answers"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(p, GreaterThanPair.FromJson(row));
    }

    [Fact]
    public void TheNounListIsHannasHundredAndTwentySingleTokens()
    {
        Assert.Equal(120, GreaterThanVocabulary.Nouns.Distinct().Count());
        Assert.All(GreaterThanVocabulary.Nouns, n => Assert.True(Tok.TryGetSingleToken(" " + n, out _), n));
    }

    [Fact]
    public void ZeroRowsIsAUserError() =>
        Assert.Throws<CircuitLensException>(() => GreaterThanDatasetGenerator.Generate(new GreaterThanDatasetOptions { N = 0 }));
}
