// Pair files: the three metric forms, token ids in place of text, one metric per file, one token per
// answer (errors name the line and the word), unknown fields passed through, and IOI rows as before.
using CircuitLens.Patching.Metrics;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Tasks;

public class PairFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pairfile-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(params string[] lines)
    {
        string path = Path.Combine(_dir, $"pairs-{Guid.NewGuid():N}.jsonl");
        System.IO.File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void ReadsTheLogitDiffFormAsTheDefault()
    {
        var set = PairFile.Read(File("""{"clean": "When John and Mary went to the shops, Mary gave the bag to", "corrupt": "When John and Mary went to the shops, John gave the bag to", "answer": " John", "wrong": " Mary", "template": "t1"}"""));
        Assert.Equal("logit-diff", set.Metric);
        var tokens = set.Tokenize(TinyGpt2.Model, prependBos: true);
        var metric = Assert.IsType<LogitDiffMetric>(tokens.Metric);
        Assert.Equal(TinyGpt2.Model.Tokenizer.Encode(" John")[0], metric.AnswerIds[0]);
        Assert.Equal(50256, tokens.Clean[0][0]);
        Assert.Equal("t1", set.Rows[0].Text("template"));
    }

    [Fact]
    public void ReadsProbDiffAndLogitDiffToMaxAndTokenIds()
    {
        var prob = PairFile.Read(File("""{"clean_ids": [464, 1110], "corrupt_ids": [464, 1111], "metric": "prob-diff", "answer_ids": [1, 2], "wrong_answers": ["00", "01"]}"""));
        var t = prob.Tokenize(TinyGpt2.Model, prependBos: false);
        Assert.Equal([464, 1110], t.Clean[0]);
        var p = Assert.IsType<ProbDiffMetric>(t.Metric);
        Assert.Equal([1, 2], p.Targets.Answers[0]);
        Assert.Equal(2, p.Targets.Wrong[0].Length);
        Assert.Equal([50256, 464, 1111], prob.Tokenize(TinyGpt2.Model, prependBos: true).Corrupt[0]);

        var max = PairFile.Read(File("""{"clean": "The Daily Blue Sound (D", "corrupt": "The Daily Green Sound (D", "metric": "logit-diff-to-max", "answer": "B", "candidate_ids": [32, 33, 34]}"""));
        var m = Assert.IsType<LogitDiffToMaxMetric>(max.Tokenize(TinyGpt2.Model, false).Metric);
        Assert.Equal(33, m.AnswerIds[0]);
        Assert.Equal([32, 34], m.Others[0]);
    }

    [Fact]
    public void ASecondMetricIsAnErrorNamingTheRow()
    {
        string path = File(
            """{"clean": "a b", "corrupt": "a c", "answer": " x", "wrong": " y"}""",
            "",
            """{"clean": "a b", "corrupt": "a c", "metric": "prob-diff", "answers": [" x"], "wrong_answers": [" y"]}""");
        var e = Assert.Throws<CircuitLensException>(() => PairFile.Read(path));
        Assert.Contains($"{path}:3", e.Message);
        Assert.Contains("one metric", e.Message);
    }

    [Fact]
    public void AnAnswerOfSeveralTokensIsAnErrorNamingTheRowAndTheWord()
    {
        string path = File(
            """{"clean": "a b", "corrupt": "a c", "metric": "prob-diff", "answers": ["33"], "wrong_answers": ["00"]}""",
            """{"clean": "a b", "corrupt": "a c", "metric": "prob-diff", "answers": ["33", " antidisestablishmentarianism"], "wrong_answers": ["00"]}""");
        var e = Assert.Throws<CircuitLensException>(() => PairFile.Read(path).Tokenize(TinyGpt2.Model, false));
        Assert.Contains($"{path}:2", e.Message);
        Assert.Contains("antidisestablishmentarianism", e.Message);
        Assert.Contains("must be 1", e.Message);
    }

    [Theory]
    [InlineData("""{"clean": "a", "corrupt": "b", "answer": " x"}""", "\"wrong\"")]
    [InlineData("""{"corrupt": "b", "answer": " x", "wrong": " y"}""", "\"clean\"")]
    [InlineData("""{"clean": "a", "corrupt": "b", "metric": "prob-diff", "answers": [" x"]}""", "\"wrong_answers\"")]
    [InlineData("""{"clean": "a", "corrupt": "b", "metric": "logit-diff-to-max", "answer": "A"}""", "\"candidates\"")]
    [InlineData("""{"clean": "a", "corrupt": "b", "metric": "kl", "answer": "A"}""", "unknown metric")]
    [InlineData("""{"clean_ids": [1, -2], "corrupt": "b", "answer": " x", "wrong": " y"}""", "non-negative integer")]
    [InlineData("""[1, 2]""", "JSON object")]
    [InlineData("""{"clean": "a", """, "malformed JSON")]
    public void MalformedRowsAreErrorsNamingTheLineAndField(string line, string expected)
    {
        string path = File(line);
        var e = Assert.Throws<CircuitLensException>(() => PairFile.Read(path));
        Assert.StartsWith($"{path}:1:", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TheMetricsOwnChecksNameTheLine()
    {
        string path = File("""{"clean": "a b", "corrupt": "a c", "answer": " x", "wrong": " x"}""");
        var e = Assert.Throws<CircuitLensException>(() => PairFile.Read(path).Tokenize(TinyGpt2.Model, false));
        Assert.StartsWith($"{path}:1: answer and wrong are the same token", e.Message);
    }

    [Fact]
    public void WritingPassesUnknownFieldsThrough()
    {
        string line = """{"clean": "a b", "corrupt": "a c", "answer": " x", "wrong": " y", "step": 3, "note": {"k": [1, 2]}}""";
        var set = PairFile.Read(File(line));
        string output = Path.Combine(_dir, "out.jsonl");
        PairFile.Write(output, set.Rows);
        var again = PairFile.Read(output);
        Assert.Equal(PairFile.ToJsonLine(set.Rows[0]), PairFile.ToJsonLine(again.Rows[0]));
        Assert.Contains("\"step\":3", PairFile.ToJsonLine(again.Rows[0]));
        Assert.Contains("\"note\":{\"k\":[1,2]}", PairFile.ToJsonLine(again.Rows[0]));
    }

    [Fact]
    public void UnequalTokenLengthsAreAnErrorNamingTheRow()
    {
        string path = File("""{"clean_ids": [1, 2, 3], "corrupt_ids": [1, 2], "answer_id": 5, "wrong_id": 6}""");
        var e = Assert.Throws<CircuitLensException>(() => PairFile.Read(path).Tokenize(TinyGpt2.Model, false).ToPatchingBatch());
        Assert.StartsWith($"{path}:1:", e.Message);
    }
}
