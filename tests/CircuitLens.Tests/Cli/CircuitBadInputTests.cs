// User mistakes in the circuit commands (`path-patch`, `circuit check|discover`, `heads detect`, `toy`) on
// the tiny fixture (3 layers × 4 heads): malformed receiver specs and circuit files, an existing file
// given as --out, and an --out another run holds each end in one `error:` line, exit 1, and nothing
// written (the output directory is not even created for a bad spec).
using CircuitLens.Tasks.Runs;
using CircuitLens.Tests.Circuits;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class CircuitBadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-circuitbad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Out => Path.Combine(_dir, "out");

    private CliResult PathPatch(string receivers, string? outDir = null) =>
        CliRunner.Run(["path-patch", "--model", CliFixture.Model, "--pairs", CircuitFixtures.File("pairs.jsonl"), "--receivers", receivers, "--no-bos", "--out", outDir ?? Out]);

    private CliResult Check(string circuit, string? outDir = null) =>
        CliRunner.Run(["circuit", "check", "--model", CliFixture.Model, "--pairs", CircuitFixtures.File("pairs.jsonl"), "--circuit", circuit,
            "--reference", CircuitFixtures.File("reference.jsonl"), "--no-bos", "--greedy-steps", "0", "--random-subsets", "0", "--out", outDir ?? Out]);

    [Theory]
    [InlineData("9.99:q", "receiver '9.99:q'", "does not exist")]
    [InlineData("0.9:q", "receiver '0.9:q'", "does not exist")]
    [InlineData("x.y:q", "receiver 'x.y:q'", "not a head")]
    [InlineData("2.1:w", "receiver '2.1:w'", "not q, k or v")]
    [InlineData("2.1", "receiver '2.1'", "needs its input")]
    [InlineData("2.1:q,9.9:w", "receiver '9.9:w'", "not q, k or v")]
    [InlineData(",", "no receiver heads")]
    public void MalformedReceiversAreOneLineAndWriteNothing(string receivers, params string[] fragments)
    {
        CliRunner.AssertUserError(PathPatch(receivers), fragments);
        Assert.False(Directory.Exists(Out));
    }

    [Theory]
    [InlineData("""{"heads": [{"head": "0.9", "class": "name mover"}]}""", "heads[0]", "head 0.9 does not exist")]
    [InlineData("""{"heads": [{"head": "7.1"}]}""", "heads[0]", "head 7.1 does not exist")]
    [InlineData("""{"heads": [{"head": "x.y"}]}""", "heads[0]", "not a head")]
    [InlineData("""{"heads": [{"head": 2.1}]}""", "heads[0]", "LAYER.HEAD")]
    [InlineData("""{"heads": [{"head": "2.1", "class": 3}]}""", "heads[0]", "\"class\" must be a string")]
    [InlineData("""{"name": ["x"], "heads": []}""", "\"name\" must be a string")]
    [InlineData("""{"heads": [{"head": "2.1", "positions": [1.5]}]}""", "heads[0]", "not a whole number")]
    [InlineData("""{"heads": [{"head": "2.1", "positions": ["middle"]}]}""", "unknown position 'middle'")]
    [InlineData("""{"heads": [], "mlps": [1e20]}""", "\"mlps\"")]
    [InlineData("""{"heads": [], "mlps": [3]}""", "MLP layer 3 does not exist")]
    [InlineData("""{"heads": [{"head": "2.1"}, {"head": "2.1"}]}""", "listed twice")]
    [InlineData("""{"heads": [""", "malformed JSON")]
    [InlineData("""[]""", "\"heads\" list")]
    public void MalformedCircuitFilesAreOneLineAndWriteNothing(string json, params string[] fragments)
    {
        string file = Path.Combine(_dir, "circuit.json");
        File.WriteAllText(file, json);
        CliRunner.AssertUserError(Check(file), [file, .. fragments]);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public void MalformedClassesFileOfDiscoverIsOneLine()
    {
        string file = Path.Combine(_dir, "classes.json");
        File.WriteAllText(file, """{"heads": [{"head": "1.1", "class": {"x": 1}}]}""");
        CliRunner.AssertUserError(CliRunner.Run(["circuit", "discover", "--model", CliFixture.Model, "--pairs", CircuitFixtures.File("pairs.jsonl"),
            "--classes", file, "--no-bos", "--out", Out]), file, "\"class\" must be a string");
        Assert.False(Directory.Exists(Out));
    }

    public static TheoryData<string> Commands => ["path-patch", "circuit check", "circuit discover", "heads detect", "toy"];

    private CliResult RunInto(string command, string outDir) => command switch
    {
        "path-patch" => PathPatch("logits", outDir),
        "circuit check" => Check(CircuitFixtures.File("circuit.json"), outDir),
        "circuit discover" => CliRunner.Run(["circuit", "discover", "--model", CliFixture.Model, "--pairs", CircuitFixtures.File("pairs.jsonl"), "--no-bos", "--out", outDir]),
        "heads detect" => CliRunner.Run(["heads", "detect", "--model", CliFixture.Model, "--n", "2", "--length", "5", "--no-plots", "--out", outDir]),
        _ => CliRunner.Run(["toy", "induction", "--out", outDir]),
    };

    [Theory, MemberData(nameof(Commands))]
    public void ExistingFileAsOutIsRefusedBeforeAnythingRuns(string command)
    {
        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "keep me");
        CliRunner.AssertUserError(RunInto(command, file), file, "is an existing file");
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Theory, MemberData(nameof(Commands))]
    public void OutHeldByAnotherRunIsRefusedAndLeftAlone(string command)
    {
        using (RunLock.Acquire(Out))
        {
            CliRunner.AssertUserError(RunInto(command, Out), Out, "in use by another run");
            Assert.Equal([RunLock.FileName], Directory.GetFileSystemEntries(Out).Select(Path.GetFileName));
        }
        // once released, the same command runs into it
        Assert.True(RunInto(command, Out) is { Exit: 0 } ok, $"{command} after the lock was released failed");
    }
}
