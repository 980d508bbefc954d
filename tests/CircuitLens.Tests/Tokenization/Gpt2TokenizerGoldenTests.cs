// The 70 golden tokenizer cases from shared/fixtures/tokenizer_cases.json, both directions.
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
