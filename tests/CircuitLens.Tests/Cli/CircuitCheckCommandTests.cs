// `circuitlens circuit check` end to end on the fixture (pair 0, six ABC reference prompts, no BOS):
// check.json's F values against the float64 reference, its keys, check.md and circuit.json; errors.
using System.Text.Json;
using CircuitLens.Tests.Circuits;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class CircuitCheckCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clicheck-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Pair0()
    {
        string path = Path.Combine(_dir, "pair0.jsonl");
        File.WriteAllText(path, File.ReadLines(CircuitFixtures.File("pairs.jsonl")).First() + "\n");
        return path;
    }

    [Fact]
    public void MeanAblationCheckMatchesTheReference()
    {
        string outDir = Path.Combine(_dir, "out");
        var result = CliRunner.Run(["circuit", "check", "--model", CliFixture.Model, "--pairs", Pair0(), "--circuit", CircuitFixtures.File("circuit.json"),
            "--reference", CircuitFixtures.File("reference.jsonl"), "--no-bos", "--greedy-steps", "1", "--random-subsets", "1", "--out", outDir]);
        Assert.True(result.Exit == 0, result.ToString());
        using var check = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "check.json")));
        using var expected = JsonDocument.Parse(File.ReadAllText(CircuitFixtures.File("mean_ablation.json")));
        var root = check.RootElement;
        foreach (var (key, exp) in new[] { ("f_model", "F_model"), ("f_circuit", "F_circuit"), ("f_empty", "F_empty") })
        {
            double a = root.GetProperty(key).GetDouble(), e = expected.RootElement.GetProperty(exp).GetDouble();
            Assert.True(Math.Abs(a - e) <= 1e-4 + 1e-3 * Math.Abs(e), $"{key}: {a}, expected {e}");
        }
        Assert.Equal(Math.Abs(root.GetProperty("f_model").GetDouble() - root.GetProperty("f_circuit").GetDouble()), root.GetProperty("faithfulness").GetDouble(), 9);
        Assert.Equal(3, root.GetProperty("completeness").GetArrayLength());   // 1 class + 1 random + 1 greedy
        Assert.Equal(4, root.GetProperty("minimality").GetArrayLength());
        Assert.Equal("mean", root.GetProperty("ablation").GetString());
        Assert.Contains("faithfulness", File.ReadAllText(Path.Combine(outDir, "check.md")));
        Assert.Contains("\"1.2\"", File.ReadAllText(Path.Combine(outDir, "circuit.json")));
    }

    [Fact]
    public void MissingReferenceAndUnknownCircuitAreOneLineErrors()
    {
        CliRunner.AssertUserError(CliRunner.Run(["circuit", "check", "--model", CliFixture.Model, "--pairs", Pair0(), "--circuit", CircuitFixtures.File("circuit.json"),
            "--out", Path.Combine(_dir, "a")]), "needs reference prompts");
        CliRunner.AssertUserError(CliRunner.Run(["circuit", "check", "--model", CliFixture.Model, "--pairs", Pair0(), "--circuit", "no-such-circuit",
            "--ablation", "zero", "--out", Path.Combine(_dir, "b")]), "neither a file nor a built-in", "ioi-paper");
        CliRunner.AssertUserError(CliRunner.Run(["circuit", "check", "--model", CliFixture.Model, "--pairs", Pair0(), "--circuit", "ioi-paper",
            "--ablation", "zero", "--out", Path.Combine(_dir, "c")]), "does not exist");
        Assert.False(Directory.Exists(Path.Combine(_dir, "a")));
    }
}
