// JSONL round trip, snake_case names, atomic writes, and file:line errors.
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tokenization;

namespace CircuitLens.Tests.Tasks;

public sealed class IoiJsonlTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cl-ioi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteText(string text)
    {
        string path = Path.Combine(_dir, "pairs.jsonl");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void RoundTripKeepsEveryField()
    {
        var pairs = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 30, Seed = 4, Corruption = IoiCorruption.Abc }).Pairs;
        string path = Path.Combine(_dir, "out.jsonl");
        IoiJsonl.Write(path, pairs);
        Assert.Equal(pairs, IoiJsonl.Read(path, Gpt2Tokenizer.Default));
        Assert.Single(Directory.GetFiles(_dir)); // no temporary file left behind

        string firstLine = File.ReadLines(path).First();
        foreach (string name in new[] { "\"clean\"", "\"corrupt\"", "\"answer\"", "\"wrong\"", "\"io_pos\"", "\"s1_pos\"", "\"s2_pos\"", "\"end_pos\"", "\"corruption\":\"abc\"" })
            Assert.Contains(name, firstLine);
    }

    [Fact]
    public void MinimalRowsAndBlankLinesAreAccepted()
    {
        string path = WriteText("\n{\"clean\":\"a b\",\"corrupt\":\"a c\",\"answer\":\" John\",\"wrong\":\" Mary\",\"extra\":1}\n\n");
        var pair = Assert.Single(IoiJsonl.Read(path));
        Assert.Equal(" John", pair.Answer);
        Assert.Null(pair.Template);
        Assert.Null(pair.IoPos);
        Assert.DoesNotContain("template", IoiJsonl.ToJsonLine(pair)); // nulls are left out
    }

    private const string Good = "{\"clean\":\"a\",\"corrupt\":\"b\",\"answer\":\" John\",\"wrong\":\" Mary\"}";

    [Theory]
    [InlineData("{\"clean\":", "malformed JSON")]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("{\"clean\":\"a\",\"corrupt\":\"b\",\"answer\":\" John\"}", "missing required field \"wrong\"")]
    [InlineData("{\"corrupt\":\"b\",\"answer\":\" John\",\"wrong\":\" Mary\"}", "missing required field \"clean\"")]
    [InlineData("{\"clean\":\"\",\"corrupt\":\"b\",\"answer\":\" John\",\"wrong\":\" Mary\"}", "\"clean\" must be a non-empty string")]
    [InlineData("{\"clean\":\"a\",\"corrupt\":\"b\",\"answer\":\" John\",\"wrong\":\" Mary\",\"io_pos\":\"x\"}", "io_pos")]
    public void ReadErrorsNameFileAndLine(string badLine, string expected)
    {
        string path = WriteText(Good + "\n\n" + badLine + "\n");
        var ex = Assert.Throws<CircuitLensException>(() => IoiJsonl.Read(path));
        Assert.Contains($"{path}:3:", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void MultiTokenAnswerIsReportedWithLineAndField()
    {
        string path = WriteText(Good + "\n" + Good.Replace("\" Mary\"", "\" Xzqwvbn\"") + "\n");
        Assert.Equal(2, IoiJsonl.Read(path).Count); // no tokenizer, no check
        var ex = Assert.Throws<CircuitLensException>(() => IoiJsonl.Read(path, Gpt2Tokenizer.Default));
        Assert.Contains($"{path}:2:", ex.Message);
        Assert.Contains("\"wrong\"", ex.Message);
    }

    [Fact]
    public void EmptyOrMissingFileIsAUserError()
    {
        Assert.Throws<CircuitLensException>(() => IoiJsonl.Read(WriteText("\n\n")));
        var ex = Assert.Throws<CircuitLensException>(() => IoiJsonl.Read(Path.Combine(_dir, "missing.jsonl")));
        Assert.Contains("missing.jsonl", ex.Message);
    }

    [Fact]
    public void WriteIntoMissingFolderFailsCleanly()
    {
        string path = Path.Combine(_dir, "no", "such", "out.jsonl");
        var ex = Assert.Throws<CircuitLensException>(() => IoiJsonl.Write(path, IoiDemoSet.Pairs()));
        Assert.Contains("out.jsonl", ex.Message);
    }
}
