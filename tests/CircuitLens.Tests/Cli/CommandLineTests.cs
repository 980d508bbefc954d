// The command line's contract for every command: a missing, unknown or invalid option is one
// `error:` line that says where help is (not the help text itself), exit 1; `@` is not a response
// file; numbers out of range, NaN and empty paths are refused before anything runs.
namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class CommandLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-cmdline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertParseError(CliResult result, string helpFor, params string[] fragments)
    {
        CliRunner.AssertUserError(result, [.. fragments, $"see `circuitlens {helpFor} --help`".Replace("circuitlens  ", "circuitlens ")]);
        Assert.DoesNotContain("Usage:", result.Stdout + result.Stderr);
        Assert.DoesNotContain("Description:", result.Stdout + result.Stderr);
    }

    [Fact]
    public void MissingRequiredOptionsAreOneLine() =>
        AssertParseError(CliRunner.Run("patch", "--model", CliFixture.Model), "patch", "--pairs", "--sweep", "--out");

    [Fact]
    public void UnknownOptionIsOneLine() =>
        AssertParseError(CliRunner.Run("logits", "--model", CliFixture.Model, "--prompt", "Hi", "--frobnicate"), "logits", "--frobnicate");

    [Fact]
    public void UnknownCommandIsOneLine() => AssertParseError(CliRunner.Run("frobnicate"), "", "frobnicate");

    [Fact]
    public void UnparsableNumberIsOneLine() =>
        AssertParseError(CliRunner.Run("dataset", "ioi", "--n", "abc", "--out", Path.Combine(_dir, "a.jsonl")), "dataset ioi", "abc", "--n");

    [Fact]
    public void ValueOutsideTheChoicesIsOneLine() =>
        AssertParseError(CliRunner.Run("ioi", "--model", CliFixture.Model, "--method", "magic", "--runs-dir", _dir), "ioi", "magic");

    [Fact]
    public void PromptStartingWithAtIsAPromptNotAResponseFile()
    {
        var result = CliRunner.Ok("generate", "--model", CliFixture.Model, "--prompt", "@Mary went", "-n", "2");
        Assert.StartsWith("@Mary went", result.Stdout);
    }

    [Theory]
    [InlineData("dataset ioi")]
    [InlineData("ioi")]
    [InlineData("dataset ioi-llm")]
    public void HugePairCountIsRefusedNotAnAbort(string command)
    {
        string[] extra = command switch
        {
            "ioi" => ["--model", CliFixture.Model, "--runs-dir", _dir],
            "dataset ioi-llm" => ["--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--out", Path.Combine(_dir, "p.jsonl")],
            _ => ["--out", Path.Combine(_dir, "p.jsonl")],
        };
        AssertParseError(CliRunner.Run([.. command.Split(' '), .. extra, "--n", "2147483647"]), command, "--n", "1000000", "2147483647");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Theory]
    [InlineData("patch", "--chunk-size")]
    [InlineData("ioi", "--chunk-size")]
    [InlineData("bench patch", "--chunk-size")]
    [InlineData("bench patch", "--pairs")]
    [InlineData("bench forward", "--batch")]
    [InlineData("bench forward", "--seq")]
    public void HugeSizesAreRefusedNotACrash(string command, string option)
    {
        string[] extra = command == "patch" ? ["--model", CliFixture.Model, "--pairs", "p.jsonl", "--sweep", "head-z", "--out", Path.Combine(_dir, "o")] : [];
        AssertParseError(CliRunner.Run([.. command.Split(' '), .. extra, option, "2147483647"]), command, option, "2147483647");
    }

    [Theory]
    [InlineData("1e7")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("NaN")]
    public void TimeoutOutOfRangeIsOneLine(string value) =>
        AssertParseError(CliRunner.Run("dataset", "ioi-llm", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--out", Path.Combine(_dir, "p.jsonl"), "--timeout", value),
            "dataset ioi-llm", "--timeout", value);

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    public void NonFiniteTemperatureIsRefused(string value)
    {
        AssertParseError(CliRunner.Run("generate", "--model", CliFixture.Model, "--prompt", "Hi", "--temperature", value), "generate", "--temperature", "finite");
        AssertParseError(CliRunner.Run("dataset", "ioi-llm", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--out", Path.Combine(_dir, "p.jsonl"), "--temperature", value),
            "dataset ioi-llm", "--temperature", "finite");
    }

    public static TheoryData<string, string[]> EmptyPaths => new()
    {
        { "cache", ["cache", "--model", CliFixture.Model, "--prompt", "Hi", "--out", ""] },
        { "cache", ["cache", "--model", CliFixture.Model, "--prompt", "Hi", "--out", "x", "--safetensors", ""] },
        { "logits", ["logits", "--model", "", "--prompt", "Hi"] },
        { "patch", ["patch", "--model", CliFixture.Model, "--pairs", "p.jsonl", "--sweep", "head-z", "--out", ""] },
        { "patch", ["patch", "--model", CliFixture.Model, "--pairs", "", "--sweep", "head-z", "--out", "o"] },
        { "ioi", ["ioi", "--model", CliFixture.Model, "--runs-dir", ""] },
        { "ioi", ["ioi", "--resume", ""] },
        { "dataset ioi", ["dataset", "ioi", "--out", ""] },
        { "filter format", ["filter", "format", "--in", "a.jsonl", "--out", "b.jsonl", "--rejects", ""] },
        { "filter model", ["filter", "model", "--model", CliFixture.Model, "--in", "a.jsonl", "--out", "  "] },
    };

    [Theory, MemberData(nameof(EmptyPaths))]
    public void EmptyPathIsRefused(string command, string[] args) => AssertParseError(CliRunner.Run(args), command, "the value is empty");

    [Fact]
    public void GeneratePastTheContextSaysWhyItStopped()
    {
        var result = CliRunner.Ok("generate", "--model", CliFixture.Model, "--prompt", "Hi", "-n", "1000");
        Assert.Contains("stopped at the model's context length (n_ctx 128", result.Stderr);
        Assert.Contains("of 1000 tokens", result.Stderr);
    }

    [Fact]
    public void GenerateWithAPromptLongerThanTheContextIsOneLine()
    {
        string prompt = string.Concat(Enumerable.Repeat(" the", 200));
        CliRunner.AssertUserError(CliRunner.Run("generate", "--model", CliFixture.Model, "--prompt", prompt, "-n", "0"), "n_ctx 128");
    }
}
