// `circuitlens tokenize` end to end: the to_str_tokens TSV with and without BOS, --json ids, a model
// directory's own tokenizer files taking precedence, and one error line for a bad tokenizer file.
using System.Text.Json;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class TokenizeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clitok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A model directory with the tiny model's weights and the given tokenizer files.
    private void WriteModel(string vocabJson, string merges)
    {
        foreach (string f in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(CliFixture.Model, f), Path.Combine(_dir, f));
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), vocabJson);
        File.WriteAllText(Path.Combine(_dir, "merges.txt"), merges);
    }

    private const string Prompt = "When John and Mary went to the shops, Mary gave the bag to";

    [Fact]
    public void PrintsIndexIdTokenWithBos()
    {
        var lines = CliRunner.Ok("tokenize", "--model", CliFixture.Model, "--prompt", Prompt).StdoutLines;
        Assert.Equal("index\tid\ttoken", lines[0]);
        Assert.Equal("0\t50256\t\"<|endoftext|>\"", lines[1]);
        Assert.Equal("1\t2215\t\"When\"", lines[2]);
        Assert.Equal("2\t1757\t\" John\"", lines[3]);
        Assert.Equal("14\t284\t\" to\"", lines[^1]);
        Assert.Equal(16, lines.Length); // header + BOS + 14 tokens
    }

    [Fact]
    public void JsonPrintsTheIdsAndNoBosDropsTheFirst()
    {
        var withBos = JsonSerializer.Deserialize<int[]>(CliRunner.Ok("tokenize", "--model", CliFixture.Model, "--prompt", Prompt, "--json").Stdout)!;
        var noBos = JsonSerializer.Deserialize<int[]>(CliRunner.Ok("tokenize", "--model", CliFixture.Model, "--prompt", Prompt, "--json", "--no-bos").Stdout)!;
        Assert.Equal([2215, 1757, 290, 5335, 1816, 284, 262, 12437, 11, 5335, 2921, 262, 6131, 284], noBos);
        Assert.Equal([50256, .. noBos], withBos);
    }

    [Fact]
    public void NewlinesAndPartialBytesStayOnOneRow()
    {
        var lines = CliRunner.Ok("tokenize", "--model", CliFixture.Model, "--prompt", "a\n🙂", "--no-bos").StdoutLines;
        Assert.Equal(["index\tid\ttoken", "0\t64\t\"a\"", "1\t198\t\"\\n\""], lines[..3]);
        Assert.Equal(2, lines.Length - 3); // 🙂 is two byte-level tokens, neither valid UTF-8 alone
        Assert.All(lines[3..], l => Assert.True(l.Contains('\uFFFD') || l.Contains("\\uFFFD"), l));
    }

    [Fact]
    public void UsesTheModelDirectoryOwnVocabulary()
    {
        WriteModel("""{"a": 0, "b": 1, "ab": 2, "<|endoftext|>": 3}""", "#version: 0.2\na b\n");
        var ids = JsonSerializer.Deserialize<int[]>(CliRunner.Ok("tokenize", "--model", _dir, "--prompt", "abba", "--json").Stdout)!;
        Assert.Equal([3, 2, 1, 0], ids);
    }

    [Fact]
    public void BadTokenizerFileIsOneErrorLine()
    {
        WriteModel("""{"a": 2000000000}""", "");
        CliRunner.AssertUserError(CliRunner.Run("tokenize", "--model", _dir, "--prompt", "a"), "vocab.json", "2000000000");
    }
}
