// Tests for FormatFilter: one rejection test per reason code, plus the edge cases it must accept.
using System.Text.Json;
using System.Text.RegularExpressions;
using CircuitLens.Tasks.Filtering;

namespace CircuitLens.Tests.Tasks;

public class FormatFilterTests
{
    private const string Clean = "When John and Mary went to the shops, Mary gave the bag to";
    private const string Corrupt = "When John and Mary went to the shops, John gave the bag to";

    // A stand-in for the GPT-2 tokenizer: one token per pre-tokenised piece, except a few pieces made multi-token
    // on purpose (" Zxq" always; "Bob" only without its leading space, as BPE often does for names).
    internal static int[] FakeEncode(string text)
    {
        var tokens = new List<int>();
        foreach (Match piece in Regex.Matches(text, @" ?\p{L}+| ?[^\s\p{L}]+|\s+"))
        {
            int n = piece.Value switch { " Zxq" => 2, "Bob" => 2, _ => 1 };
            for (int i = 0; i < n; i++) tokens.Add(piece.Value.GetHashCode() + i);
        }
        return tokens.ToArray();
    }

    private static string Row(object fields) => JsonSerializer.Serialize(fields);

    private static FormatVerdict CheckOne(string line, Func<string, int[]>? encode = null) =>
        new FormatFilter(encode).CheckLine(line, 7);

    private static void AssertRejected(string expectedReason, string line, Func<string, int[]>? encode = null)
    {
        var verdict = CheckOne(line, encode);
        Assert.False(verdict.Accepted, $"expected {expectedReason} for {line}");
        Assert.Equal(expectedReason, verdict.Rejection!.Reason);
        Assert.Equal(7, verdict.Rejection.LineNumber);
        Assert.Equal(line, verdict.Rejection.Text);
        Assert.DoesNotContain('\n', verdict.Rejection.Detail);
    }

    [Fact]
    public void AcceptsCanonicalPairAndDerivesEverything()
    {
        var verdict = CheckOne(Row(new { clean = Clean, corrupt = Corrupt }), FakeEncode);
        Assert.True(verdict.Accepted, verdict.Rejection?.Detail);
        var pair = verdict.Pair!;
        Assert.Equal(" John", pair.Answer);
        Assert.Equal(" Mary", pair.Wrong);
        Assert.Equal("John", pair.Io);
        Assert.Equal("Mary", pair.S);
        Assert.Equal("s2-swap", pair.Corruption);
        Assert.Equal("ABBA", pair.Pattern);
        // When| John| and| Mary| went| to| the| shops|,| Mary| gave| the| bag| to
        Assert.Equal(1, pair.IoPos);
        Assert.Equal(3, pair.S1Pos);
        Assert.Equal(9, pair.S2Pos);
        Assert.Equal(13, pair.EndPos);
    }

    [Fact]
    public void AcceptsBabaWithExplicitFieldsAndKeepsTemplate()
    {
        string clean = "Then, Mary and John went to the store. Mary gave a ring to";
        string corrupt = "Then, Mary and John went to the store. John gave a ring to";
        var verdict = CheckOne(Row(new { clean, corrupt, io = "John", s = "Mary", answer = " John", wrong = " Mary", template = "t1" }));
        Assert.True(verdict.Accepted, verdict.Rejection?.Detail);
        Assert.Equal("BABA", verdict.Pair!.Pattern);
        Assert.Equal("t1", verdict.Pair.Template);
        Assert.Null(verdict.Pair.IoPos); // no tokenizer, no positions
    }

    [Fact]
    public void AcceptsNamesFromAnswerAndWrongOnly()
    {
        var verdict = CheckOne(Row(new { clean = Clean, corrupt = Corrupt, answer = " John", wrong = " Mary" }));
        Assert.True(verdict.Accepted, verdict.Rejection?.Detail);
        Assert.Equal("John", verdict.Pair!.Io);
    }

    [Fact]
    public void AcceptsNamesInsideLongerWordsAndNonAsciiText()
    {
        // "Maryland" is not a mention of Mary; accented names and an emoji are printable text.
        string clean = "When Zoë and Mary left Maryland 🙂, Mary gave the bag to";
        string corrupt = "When Zoë and Mary left Maryland 🙂, Zoë gave the bag to";
        var verdict = CheckOne(Row(new { clean, corrupt }));
        Assert.True(verdict.Accepted, verdict.Rejection?.Detail);
        Assert.Equal("Zoë", verdict.Pair!.Io);
    }

    [Fact]
    public void RejectsMalformedJson()
    {
        AssertRejected(FormatRejectReason.MalformedJson, "CLEAN: When John and Mary went");
        AssertRejected(FormatRejectReason.MalformedJson, "{\"clean\": \"When John and");
        AssertRejected(FormatRejectReason.MalformedJson, "[1, 2]");
        AssertRejected(FormatRejectReason.MalformedJson, "{\"clean\": \"a\", \"clean\": \"b\", \"corrupt\": \"c\"}");
    }

    [Fact]
    public void RejectsMissingOrMistypedFields()
    {
        AssertRejected(FormatRejectReason.MissingField, Row(new { corrupt = Corrupt }));
        AssertRejected(FormatRejectReason.MissingField, Row(new { clean = Clean }));
        AssertRejected(FormatRejectReason.MissingField, Row(new { clean = "", corrupt = Corrupt }));
        AssertRejected(FormatRejectReason.MissingField, Row(new { clean = 5, corrupt = Corrupt }));
        AssertRejected(FormatRejectReason.MissingField, Row(new { clean = Clean, corrupt = Corrupt, io = 3 }));
    }

    [Fact]
    public void RejectsLineBreaks() =>
        AssertRejected(FormatRejectReason.NotSingleLine, Row(new { clean = "When John and Mary went to the shops,\nMary gave the bag to", corrupt = Corrupt }));

    [Fact]
    public void RejectsControlAndInvisibleCharacters()
    {
        AssertRejected(FormatRejectReason.NotPrintable, Row(new { clean = Clean.Replace("the shops", "the\tshops"), corrupt = Corrupt }));
        AssertRejected(FormatRejectReason.NotPrintable, Row(new { clean = Clean, corrupt = Corrupt.Replace("bag", "b\u200Bag") }));
    }

    [Fact]
    public void RejectsTrailingSpace() =>
        AssertRejected(FormatRejectReason.TrailingSpace, Row(new { clean = Clean + " ", corrupt = Corrupt + " " }));

    [Fact]
    public void RejectsTrailingPunctuation() =>
        AssertRejected(FormatRejectReason.TrailingPunctuation, Row(new { clean = Clean + ":", corrupt = Corrupt + ":" }));

    [Fact]
    public void RejectsNamesThatAreNotCapitalisedWords()
    {
        AssertRejected(FormatRejectReason.InvalidName, Row(new { clean = Clean, corrupt = Corrupt, io = "john", s = "Mary" }));
        AssertRejected(FormatRejectReason.InvalidName, Row(new { clean = Clean, corrupt = Corrupt, io = "John Smith", s = "Mary" }));
    }

    [Fact]
    public void RejectsIdenticalNames() =>
        AssertRejected(FormatRejectReason.NamesNotDistinct, Row(new { clean = Clean, corrupt = Corrupt, io = "Mary", s = "Mary" }));

    [Fact]
    public void RejectsPromptThatAlreadyEndsWithTheAnswer() =>
        AssertRejected(FormatRejectReason.TrailingAnswer, Row(new { clean = Clean + " John", corrupt = Corrupt + " John" }));

    [Fact]
    public void RejectsSubjectNotMentionedTwice()
    {
        string clean = "When John and Mary went to the shops, Kate gave the bag to";
        AssertRejected(FormatRejectReason.SNotRepeated, Row(new { clean, corrupt = Corrupt, io = "John", s = "Mary" }));
    }

    [Fact]
    public void RejectsIndirectObjectMentionedTwice()
    {
        string clean = "When John and Mary went to John's shop, Mary gave the bag to";
        string corrupt = "When John and Mary went to John's shop, John gave the bag to";
        AssertRejected(FormatRejectReason.IoNotOnce, Row(new { clean, corrupt }));
    }

    [Fact]
    public void RejectsIndirectObjectAfterSecondSubject()
    {
        string clean = "When Mary and Mary went to the shops, John gave the bag to";
        string corrupt = "When Mary and John went to the shops, John gave the bag to";
        AssertRejected(FormatRejectReason.NameOrder, Row(new { clean, corrupt, io = "John", s = "Mary" }));
    }

    [Fact]
    public void RejectsCorruptionsOtherThanS2Swap()
    {
        // S1 swapped instead of S2.
        AssertRejected(FormatRejectReason.CorruptNotS2Swap, Row(new { clean = Clean, corrupt = "When John and John went to the shops, Mary gave the bag to" }));
        // S2 swapped, but another word changed too.
        AssertRejected(FormatRejectReason.CorruptNotS2Swap, Row(new { clean = Clean, corrupt = "When John and Mary went to the shops, John gave the box to" }));
        AssertRejected(FormatRejectReason.CorruptNotS2Swap, Row(new { clean = Clean, corrupt = Clean }));
        // ABC corruption: a third name.
        AssertRejected(FormatRejectReason.CorruptNotS2Swap, Row(new { clean = Clean, corrupt = Corrupt.Replace(", John", ", Kate"), io = "John", s = "Mary" }));
    }

    [Fact]
    public void RejectsAnswerOrWrongThatDisagreeWithNames()
    {
        AssertRejected(FormatRejectReason.AnswerMismatch, Row(new { clean = Clean, corrupt = Corrupt, io = "John", s = "Mary", answer = " Mary" }));
        AssertRejected(FormatRejectReason.AnswerMismatch, Row(new { clean = Clean, corrupt = Corrupt, io = "John", s = "Mary", wrong = "Mary" }));
    }

    [Fact]
    public void RejectsMultiTokenNamesOnlyWithATokenizer()
    {
        string clean = "When Zxq and Mary went to the shops, Mary gave the bag to";
        string corrupt = "When Zxq and Mary went to the shops, Zxq gave the bag to";
        AssertRejected(FormatRejectReason.NotSingleToken, Row(new { clean, corrupt }), FakeEncode);
        Assert.True(CheckOne(Row(new { clean, corrupt })).Accepted);
    }

    [Fact]
    public void RejectsDifferentTokenLengths()
    {
        // S2 follows "." with no space; "Bob" without its space is two tokens, so the corruption grows by one.
        string clean = "Then, Bob and Zed met at the store.Zed gave a ring to";
        string corrupt = "Then, Bob and Zed met at the store.Bob gave a ring to";
        AssertRejected(FormatRejectReason.LengthMismatch, Row(new { clean, corrupt }), FakeEncode);
    }

    [Fact]
    public void RejectsNameMentionsThatAreNotTheSpacedNameToken()
    {
        // ",Mary" tokenises as "Mary" (no leading space), not as the " Mary" token the metric compares.
        string clean = "When John and Mary went to the shops,Mary gave the bag to";
        string corrupt = "When John and Mary went to the shops,John gave the bag to";
        AssertRejected(FormatRejectReason.NameTokenMismatch, Row(new { clean, corrupt }), FakeEncode);
        Assert.True(CheckOne(Row(new { clean, corrupt })).Accepted);
    }

    [Fact]
    public void RejectsDuplicatesAcrossLinesAndCountsPerReason()
    {
        string good = Row(new { clean = Clean, corrupt = Corrupt });
        var result = new FormatFilter().FilterLines([good, "", "garbage", good, "  ", Row(new { clean = Clean + ".", corrupt = Corrupt })]);
        Assert.Single(result.Accepted);
        Assert.Equal(3, result.Rejected.Count);
        Assert.Equal(4, result.Total);
        Assert.Equal([3, 4, 6], result.Rejected.Select(r => r.LineNumber));
        Assert.Equal(FormatRejectReason.Duplicate, result.Rejected[1].Reason);
        Assert.Equal(
            new Dictionary<string, int> { ["malformed_json"] = 1, ["trailing_punctuation"] = 1, ["duplicate"] = 1 },
            result.CountsByReason);
        Assert.Equal(["malformed_json", "trailing_punctuation", "duplicate"], result.CountsByReason.Keys);
    }

    [Fact]
    public void EveryReasonHasADescription()
    {
        foreach (var code in FormatRejectReason.All)
            Assert.NotEqual("unknown reason", FormatRejectReason.Describe(code));
        Assert.Equal(FormatRejectReason.All.Count, FormatRejectReason.All.Distinct().Count());
    }
}
