// `circuitlens dataset ioi` end to end through System.CommandLine, with captured stdout/stderr.
using System.CommandLine;
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tests.Tasks;

[Collection(ConsoleCollection.Name)]
public sealed class IoiDatasetCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cl-ioicli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // DatasetIoiCommand is internal to the CLI (which has no InternalsVisibleTo), so reach it by name.
    private static Command CreateIoiCommand()
    {
        Type type = typeof(CircuitLens.Cli.Program).Assembly.GetType("CircuitLens.Cli.Commands.DatasetIoiCommand", throwOnError: true)!;
        return (Command)type.GetMethod("Create")!.Invoke(null, null)!;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand("test");
        var dataset = new Command("dataset");
        dataset.Subcommands.Add(CreateIoiCommand());
        root.Subcommands.Add(dataset);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = root.Parse(["dataset", "ioi", .. args]).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void WritesTheRequestedFileAndNothingOnStdout()
    {
        string path = Path.Combine(_dir, "pairs.jsonl");
        var (code, stdout, stderr) = Run("--n", "12", "--seed", "3", "--pattern", "abba", "--corruption", "abc", "--out", path);
        Assert.Equal(0, code);
        Assert.Equal("", stdout);
        Assert.Contains("12", stderr);
        var pairs = IoiJsonl.Read(path);
        Assert.Equal(12, pairs.Count);
        Assert.All(pairs, p => { Assert.Equal("ABBA", p.Pattern); Assert.Equal("abc", p.Corruption); });
        var expected = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 12, Seed = 3, Pattern = IoiPattern.Abba, Corruption = IoiCorruption.Abc }).Pairs;
        Assert.Equal(expected, pairs);
    }

    [Fact]
    public void DashWritesJsonlToStdout()
    {
        var (code, stdout, _) = Run("--builtin", "demo", "--out", "-");
        Assert.Equal(0, code);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length);
        Assert.Equal(IoiDemoSet.Pairs()[0], IoiJsonl.ParseLine(lines[0], "stdout:1"));
    }

    [Fact]
    public void UserErrorsExitWithOneAndAMessage()
    {
        // through the real entry point: parse errors are reported by Program, not by the command
        var result = CircuitLens.Tests.Cli.CliRunner.Run("dataset", "ioi", "--n", "0", "--out", "-");
        CircuitLens.Tests.Cli.CliRunner.AssertUserError(result, "--n");
        Assert.Equal("", result.Stdout);

        Assert.NotEqual(0, Run("--pattern", "cab", "--out", "-").Code);
        Assert.NotEqual(0, Run("--n", "3").Code); // --out is required
    }
}
