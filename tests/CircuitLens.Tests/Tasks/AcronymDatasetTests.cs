// The acronym generator: every noun splits as [" X", rest]; every row's prompt has 7 + step tokens
// (10 for step 3) ending at " (", A1 or A2 with the letters as the 'A'..'Z' tokens (ids 32..57); the
// corruption changes only the step word's capital token; three rows per acronym; reproducible.
using CircuitLens.Tasks.Acronyms;
using CircuitLens.Tokenization;

namespace CircuitLens.Tests.Tasks;

public sealed class AcronymDatasetTests
{
    private static readonly Gpt2Tokenizer Tok = Gpt2Tokenizer.Default;

    private static AcronymDataset Generate(int n = 100, int seed = 5) =>
        AcronymDatasetGenerator.Generate(new AcronymDatasetOptions { N = n, Seed = seed });

    [Fact]
    public void CapitalLettersAreTokens32To57()
    {
        Assert.Equal(Enumerable.Range(32, 26), AcronymVocabulary.CapitalLetters.Select(l => Tok.TokenId(l)));
    }

    [Fact]
    public void EveryListedNounIsACapitalTokenPlusOneToken()
    {
        Assert.True(AcronymVocabulary.Nouns.Count >= 100);
        Assert.Equal(AcronymVocabulary.Nouns.Count, AcronymVocabulary.Nouns.Distinct().Count());
        foreach (var noun in AcronymVocabulary.Nouns)
        {
            var ids = Tok.Encode(" " + noun);
            Assert.True(ids.Length == 2 && Tok.TokenToString(ids[0]) == " " + noun[0], $"{noun}: {string.Join("|", ids.Select(Tok.TokenToString))}");
        }
        Assert.Empty(Generate(5).DroppedNouns);
        Assert.False(AcronymDatasetGenerator.IsTwoTokenCapitalised(Tok, "House"));    // one token: " House"
    }

    [Fact]
    public void EveryRowTokenisesAsTheTemplateSays()
    {
        var rows = Generate().Pairs;
        Assert.Equal(300, rows.Count);
        foreach (var r in rows)
        {
            var clean = Tok.Encode(r.Clean); var corrupt = Tok.Encode(r.Corrupt);
            Assert.Equal(7 + r.Step, clean.Length);
            Assert.Equal(clean.Length, corrupt.Length);
            Assert.Equal("The", Tok.TokenToString(clean[0]));
            for (int w = 0; w < 3; w++) Assert.Equal(" " + r.Words[w][0], Tok.TokenToString(clean[1 + 2 * w]));
            Assert.Equal(" (", Tok.TokenToString(clean[7]));
            for (int s = 1; s < r.Step; s++) Assert.Equal(32 + (r.Acronym[s - 1] - 'A'), clean[7 + s]);
            Assert.Equal(r.Acronym[r.Step - 1].ToString(), r.Answer);
            // the corruption changes the step word's capital token and nothing else
            var differing = Enumerable.Range(0, clean.Length).Where(i => clean[i] != corrupt[i]).ToArray();
            Assert.Equal([1 + 2 * (r.Step - 1)], differing);
            Assert.NotEqual(r.Words[r.Step - 1][0], r.CorruptWord[0]);
            Assert.Equal(r.Words[r.Step - 1][1..], r.CorruptWord[1..]);
        }
    }

    [Fact]
    public void ThreeStepsPerAcronymWithDistinctWords()
    {
        foreach (var group in Generate(40).Pairs.GroupBy(r => r.Group))
        {
            Assert.Equal([1, 2, 3], group.Select(r => r.Step));
            var words = group.First().Words;
            Assert.Equal(3, words.Distinct().Count());
            Assert.All(group, r => Assert.Equal(words, r.Words));
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameRows()
    {
        var a = Generate(20, 9).Pairs.Select(p => p.ToJson().ToJsonString());
        var b = Generate(20, 9).Pairs.Select(p => p.ToJson().ToJsonString());
        var c = Generate(20, 10).Pairs.Select(p => p.ToJson().ToJsonString());
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void WritesThePairFileFields()
    {
        var row = new AcronymPair(0, ["Ketchup", "Lark", "Wreck"], 3, "Breck").ToJson();
        Assert.Equal("The Ketchup Lark Wreck (KL", (string)row["clean"]!);
        Assert.Equal("The Ketchup Lark Breck (KL", (string)row["corrupt"]!);
        Assert.Equal("logit-diff-to-max", (string)row["metric"]!);
        Assert.Equal("W", (string)row["answer"]!);
        Assert.Equal(AcronymVocabulary.CapitalLetters, row["candidates"]!.AsArray().Select(c => (string)c!));
        Assert.Equal(3, (int)row["step"]!);
        var back = AcronymPair.FromJson(row)!;
        Assert.Equal(("KLW", 3, "Breck"), (back.Acronym, back.Step, back.CorruptWord));
    }
}
