// `--help` on every command: exit 0 and a usage text on stdout naming the command, so a user who
// asks for help never meets an error or an empty screen.
namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class HelpTests
{
    private static readonly string[] s_commands =
        ["", "logits", "tokenize", "cache", "generate", "download", "patch", "ioi", "dataset", "dataset ioi", "dataset ioi-llm", "filter", "filter format", "filter model", "bench", "bench forward", "bench patch",
         "greater-than", "acronyms", "induction", "dataset greater-than", "dataset acronyms", "dataset induction",
         "path-patch", "circuit", "circuit check", "circuit discover", "heads", "heads detect", "toy", "bench path-patch", "merge", "devices"];

    public static TheoryData<string> Commands => new(s_commands);

    [Theory, MemberData(nameof(Commands))]
    public void HelpExitsZeroAndPrintsUsage(string command)
    {
        string[] path = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var result = CliRunner.Run([.. path, "--help"]);
        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("Usage:", result.Stdout);
        if (path.Length > 0) Assert.Contains(path[^1], result.Stdout);
        Assert.Empty(result.ErrorLines);
    }

    [Fact]
    public void EveryCommandIsCoveredByTheHelpTest()
    {
        var root = CircuitLens.Cli.Program.BuildRoot();
        IEnumerable<string> Walk(System.CommandLine.Command c, string prefix) =>
            c.Subcommands.SelectMany(s => Walk(s, (prefix + " " + s.Name).Trim()).Prepend((prefix + " " + s.Name).Trim()));
        var covered = s_commands.ToHashSet();
        Assert.All(Walk(root, ""), name => Assert.Contains(name, covered));
    }

    [Fact]
    public void UnknownCommandIsNotSuccess()
    {
        var result = CliRunner.Run("frobnicate");
        Assert.NotEqual(0, result.Exit);
    }
}
