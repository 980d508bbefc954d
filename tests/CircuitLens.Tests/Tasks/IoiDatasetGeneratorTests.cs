// The template IOI generator: reproducibility, the invariants of each corruption, name order and
// token positions, checked by re-tokenising the prompts.
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tokenization;

namespace CircuitLens.Tests.Tasks;

public class IoiDatasetGeneratorTests
{
    private static Gpt2Tokenizer Tok => Gpt2Tokenizer.Default;

    private static IReadOnlyList<IoiPair> Gen(int seed, IoiPattern pattern = IoiPattern.Mixed, IoiCorruption corruption = IoiCorruption.S2Swap, int n = 200)
        => IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = n, Seed = seed, Pattern = pattern, Corruption = corruption }).Pairs;

    [Fact]
    public void SameSeedGivesIdenticalRowsAndOtherSeedDiffers()
    {
        var a = Gen(7);
        var b = Gen(7);
        Assert.Equal(a, b); // records compare by value
        var c = Gen(8);
        Assert.NotEqual(a.Select(p => p.Clean), c.Select(p => p.Clean));
    }

    [Fact]
    public void AllDefaultWordsAreSingleTokens()
    {
        var dataset = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 1 });
        Assert.Empty(dataset.Dropped);
    }

    [Theory]
    [InlineData(IoiCorruption.S2Swap)]
    [InlineData(IoiCorruption.Abc)]
    public void RowsHaveSingleTokenAnswersAndCorrectPositions(IoiCorruption corruption)
    {
        foreach (IoiPair p in Gen(3, IoiPattern.Mixed, corruption))
        {
            Assert.NotEqual(p.Io, p.S);
            Assert.Equal(" " + p.Io, p.Answer);
            Assert.Equal(" " + p.S, p.Wrong);
            Assert.True(Tok.TryGetSingleToken(p.Answer, out _));
            Assert.True(Tok.TryGetSingleToken(p.Wrong, out _));

            int[] clean = Tok.Encode(p.Clean);
            Assert.Equal(" " + p.Io, Tok.TokenToString(clean[p.IoPos!.Value]));
            Assert.Equal(" " + p.S, Tok.TokenToString(clean[p.S1Pos!.Value]));
            Assert.Equal(" " + p.S, Tok.TokenToString(clean[p.S2Pos!.Value]));
            Assert.Equal(clean.Length - 1, p.EndPos);
            Assert.True(p.S2Pos > Math.Max(p.IoPos.Value, p.S1Pos.Value));
            Assert.EndsWith(" to", p.Clean); // the prompt stops right before the final IO
            Assert.Equal(clean.Length, Tok.Encode(p.Corrupt).Length);
            Assert.Equal(IoiOptionText.Format(corruption), p.Corruption);
        }
    }

    [Fact]
    public void S2SwapDiffersExactlyAtS2()
    {
        foreach (IoiPair p in Gen(11))
        {
            int[] clean = Tok.Encode(p.Clean), corrupt = Tok.Encode(p.Corrupt);
            for (int i = 0; i < clean.Length; i++)
            {
                if (i == p.S2Pos) Assert.Equal(" " + p.Io, Tok.TokenToString(corrupt[i]));
                else Assert.Equal(clean[i], corrupt[i]);
            }
        }
    }

    [Fact]
    public void AbcUsesThreeNewDistinctNames()
    {
        foreach (IoiPair p in Gen(5, IoiPattern.Mixed, IoiCorruption.Abc))
        {
            int[] clean = Tok.Encode(p.Clean), corrupt = Tok.Encode(p.Corrupt);
            int[] slots = [p.IoPos!.Value, p.S1Pos!.Value, p.S2Pos!.Value];
            var names = new HashSet<string>();
            foreach (int pos in slots) names.Add(Tok.TokenToString(corrupt[pos]));
            Assert.Equal(3, names.Count);
            Assert.DoesNotContain(p.Answer, names);
            Assert.DoesNotContain(p.Wrong, names);
            for (int i = 0; i < clean.Length; i++)
                if (Array.IndexOf(slots, i) < 0) Assert.Equal(clean[i], corrupt[i]);
        }
    }

    [Fact]
    public void BabaPutsSubjectFirstAndAbbaPutsIoFirst()
    {
        foreach (IoiPair p in Gen(2, IoiPattern.Baba, n: 50))
        {
            Assert.Equal("BABA", p.Pattern);
            Assert.True(p.S1Pos < p.IoPos);
            Assert.Contains(p.Template!, IoiVocabulary.BabaTemplates);
        }
        foreach (IoiPair p in Gen(2, IoiPattern.Abba, n: 50))
        {
            Assert.Equal("ABBA", p.Pattern);
            Assert.True(p.IoPos < p.S1Pos);
            Assert.DoesNotContain(p.Template!, IoiVocabulary.BabaTemplates);
        }
        var mixed = Gen(2, IoiPattern.Mixed, n: 10);
        for (int i = 0; i < mixed.Count; i++) Assert.Equal(i % 2 == 0 ? "BABA" : "ABBA", mixed[i].Pattern);
    }

    [Fact]
    public void TemplateFillsAsExpected()
    {
        var t = IoiTemplate.Parse(IoiVocabulary.BabaTemplates[0]);
        Assert.Equal("Then, Mary and John went to the store. Mary gave a ring to", t.Prompt(IoiPattern.Baba, "John", "Mary", "Mary", "store", "ring"));
        Assert.Equal("Then, John and Mary went to the store. Mary gave a ring to", t.Prompt(IoiPattern.Abba, "John", "Mary", "Mary", "store", "ring"));
        Assert.Equal("Then, [A] and [B] went to the [PLACE]. [B] gave a [OBJECT] to [A]", t.Text(IoiPattern.Abba));
        Assert.Equal(15, IoiVocabulary.BabaTemplates.Count);
        Assert.Equal(99, IoiVocabulary.Names.Count);
    }

    [Theory]
    [InlineData("[B] and [A] met. [B] spoke to [A]")]       // a name at the very start has no leading space
    [InlineData("Then [A] and [B] met. [B] spoke to [A]")]  // wrong slot order
    [InlineData("Then [B] and [A] met. [B] spoke to [A].")] // does not end with the final [A]
    [InlineData("Then [B] and [A] met.")]                   // too few slots
    public void BadTemplatesAreRejected(string template)
        => Assert.Throws<CircuitLensException>(() => IoiTemplate.Parse(template));

    [Fact]
    public void MultiTokenWordsAreDroppedAndReported()
    {
        var dataset = IoiDatasetGenerator.Generate(new IoiDatasetOptions
        {
            N = 20,
            Names = ["John", "Mary", "Tom", "Xzqwvbn"],
            Places = ["store", "Zzyzxland"],
        });
        Assert.Equal(2, dataset.Dropped.Count);
        Assert.Contains(dataset.Dropped, d => d.Word == "Xzqwvbn" && d.Kind == "name" && d.Reason.Contains("tokens"));
        Assert.Contains(dataset.Dropped, d => d.Word == "Zzyzxland" && d.Kind == "place");
        Assert.All(dataset.Pairs, p => Assert.DoesNotContain("Xzqwvbn", p.Clean));
    }

    [Fact]
    public void TooFewNamesIsAUserError()
    {
        var ex = Assert.Throws<CircuitLensException>(() => IoiDatasetGenerator.Generate(
            new IoiDatasetOptions { N = 5, Names = ["John", "Mary", "Tom"], Corruption = IoiCorruption.Abc }));
        Assert.Contains("names", ex.Message);
        Assert.Throws<CircuitLensException>(() => IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 0 }));
    }
}
