// `circuitlens dataset greater-than|acronyms|induction` end to end: the file holds the generator's rows
// for that seed, "-" writes to stdout, and bad sizes are one-line user errors.
using System.Text.Json.Nodes;
using CircuitLens.Tasks.Acronyms;
using CircuitLens.Tasks.GreaterThan;
using CircuitLens.Tasks.Induction;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class TaskDatasetCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-taskdata-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Lines(string path) => File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();

    [Fact]
    public void GreaterThanWritesTheSeedsRows()
    {
        string path = Path.Combine(_dir, "gt.jsonl");
        var result = CliRunner.Ok("dataset", "greater-than", "--n", "15", "--seed", "2", "--out", path);
        Assert.Equal("", result.Stdout);
        var expected = GreaterThanDatasetGenerator.Generate(new GreaterThanDatasetOptions { N = 15, Seed = 2 }).Select(p => p.ToJson().ToJsonString());
        Assert.Equal(expected, Lines(path).Select(l => JsonNode.Parse(l)!.ToJsonString()));
    }

    [Fact]
    public void AcronymsWritesThreeRowsPerAcronym()
    {
        string path = Path.Combine(_dir, "acr.jsonl");
        CliRunner.Ok("dataset", "acronyms", "--n", "4", "--seed", "1", "--out", path);
        var rows = Lines(path).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(12, rows.Count);
        Assert.Equal([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3], rows.Select(r => (int)r["step"]!));
        var expected = AcronymDatasetGenerator.Generate(new AcronymDatasetOptions { N = 4, Seed = 1 }).Pairs.Select(p => p.ToJson().ToJsonString());
        Assert.Equal(expected, rows.Select(r => r.ToJsonString()));
    }

    [Fact]
    public void InductionToStdoutUsesTheBlockLength()
    {
        var result = CliRunner.Ok("dataset", "induction", "--n", "3", "--seed", "0", "--length", "7", "--out", "-");
        var rows = result.StdoutLines.Select(l => InductionPair.FromJson(JsonNode.Parse(l)!.AsObject())!).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(7, r.BlockLength));
    }

    [Theory]
    [InlineData("greater-than", "--n", "0")]
    [InlineData("acronyms", "--n", "0")]
    [InlineData("induction", "--length", "1")]
    public void BadSizesAreUserErrors(string task, string option, string value)
    {
        string path = Path.Combine(_dir, "x.jsonl");
        CliRunner.AssertUserError(CliRunner.Run("dataset", task, option, value, "--out", path), "at least");
        Assert.False(File.Exists(path));
    }
}
