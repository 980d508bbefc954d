// The induction generator: distinct word tokens in the block, the prompt = block + its first k+1
// tokens, the answer = the token after the earlier occurrence, the corruption changing exactly that
// first-block token to one outside the block; reproducible by seed; pair-file fields in token ids.
using CircuitLens.Tasks.Induction;
using CircuitLens.Tokenization;

namespace CircuitLens.Tests.Tasks;

public sealed class InductionDatasetTests
{
    private static IReadOnlyList<InductionPair> Generate(int n = 200, int seed = 1, int length = 12) =>
        InductionDatasetGenerator.Generate(new InductionDatasetOptions { N = n, Seed = seed, Length = length });

    [Fact]
    public void EveryRowIsABlockRepeatedWithTheInductionAnswer()
    {
        foreach (var p in Generate())
        {
            var clean = p.CleanIds; var corrupt = p.CorruptIds;
            int L = p.BlockLength;
            Assert.Equal(12, L);
            Assert.Equal(L, p.Block.Distinct().Count());
            Assert.InRange(clean.Length, L + 1, 2 * L - 1);
            Assert.Equal(p.Block, clean[..L]);
            Assert.Equal(clean[..(clean.Length - L)], clean[L..]);          // the second copy repeats the first
            // the last token's earlier occurrence is followed by the answer
            int last = clean[^1], earlier = Array.IndexOf(clean, last);
            Assert.Equal(clean.Length - 1 - L, earlier);
            Assert.Equal(p.AnswerId, clean[earlier + 1]);
            // the corruption changes that one first-block token to the wrong answer, a token outside the block
            Assert.Equal(clean.Length, corrupt.Length);
            Assert.Equal([earlier + 1], Enumerable.Range(0, clean.Length).Where(i => clean[i] != corrupt[i]));
            Assert.Equal(p.WrongId, corrupt[earlier + 1]);
            Assert.DoesNotContain(p.WrongId, p.Block);
        }
    }

    [Fact]
    public void TokensAreWordTokensOfTheRange()
    {
        var tok = Gpt2Tokenizer.Default;
        var words = InductionDatasetGenerator.WordTokens(tok, 1000, 10000);
        Assert.True(words.Count > 5000, $"{words.Count} word tokens");
        foreach (var p in Generate(50))
            foreach (int id in p.CleanIds.Append(p.WrongId))
            {
                Assert.InRange(id, 1000, 9999);
                string text = tok.TokenToString(id);
                Assert.Matches("^ [A-Za-z]{2,}$", text);
                Assert.Equal([id], tok.Encode(text));     // a token the tokenizer itself produces for its text
            }
    }

    [Fact]
    public void TheSameSeedGivesTheSameRows()
    {
        Assert.Equal(Generate(30, 4).Select(p => p.ToJson().ToJsonString()), Generate(30, 4).Select(p => p.ToJson().ToJsonString()));
        Assert.NotEqual(Generate(30, 4).Select(p => p.ToJson().ToJsonString()), Generate(30, 5).Select(p => p.ToJson().ToJsonString()));
    }

    [Fact]
    public void WritesThePairFileFieldsInTokenIds()
    {
        var p = new InductionPair([10, 11, 12, 13], 2, 99);
        var row = p.ToJson();
        Assert.Equal([10, 11, 12, 13, 10, 11], row["clean_ids"]!.AsArray().Select(x => (int)x!));
        Assert.Equal([10, 11, 99, 13, 10, 11], row["corrupt_ids"]!.AsArray().Select(x => (int)x!));
        Assert.Equal(12, (int)row["answer_id"]!);
        Assert.Equal(99, (int)row["wrong_id"]!);
        Assert.Equal("logit-diff", (string)row["metric"]!);
        Assert.Equal(p.CleanIds, InductionPair.FromJson(row)!.CleanIds);
    }

    [Fact]
    public void TooShortABlockOrTooNarrowARangeIsAUserError()
    {
        Assert.Throws<CircuitLensException>(() => Generate(length: 1));
        Assert.Throws<CircuitLensException>(() => InductionDatasetGenerator.Generate(new InductionDatasetOptions { Length = 50, MinTokenId = 1000, MaxTokenId = 1040 }));
        Assert.Throws<CircuitLensException>(() => InductionDatasetGenerator.Generate(new InductionDatasetOptions { MinTokenId = 0, MaxTokenId = 60000 }));
    }
}
