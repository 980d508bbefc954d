// `patch` with pairs whose clean and corrupted prompts give equal logit differences (normalisation
// undefined): such a row is named on stderr and in run.json and left out of the normalised maps,
// which stay finite; when every row is like that the run is a user error, not a map of NaN, and it
// leaves nothing behind (no .checkpoint, no .lock, no directory it created).
using System.Text.Json;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class DegeneratePairsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-degenerate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Pairs(string name, IEnumerable<IoiPair> pairs)
    {
        string path = Path.Combine(_dir, name);
        IoiJsonl.Write(path, pairs);
        return path;
    }

    private static IEnumerable<IoiPair> Fixture() => TinyGpt2.Pairs.Select(p => new IoiPair { Clean = p.Clean, Corrupt = p.Corrupt, Answer = p.Answer, Wrong = p.Wrong });

    private static IoiPair Degenerate(IoiPair p) => new() { Clean = p.Clean, Corrupt = p.Clean, Answer = p.Answer, Wrong = p.Wrong };

    private CliResult Patch(string pairs, string outName) =>
        CliRunner.Run("patch", "--model", CliFixture.Model, "--pairs", pairs, "--sweep", "head-z,resid-pre", "--no-bos", "--no-plots", "--method", "both", "--out", Path.Combine(_dir, outName));

    [Fact]
    public void ADegenerateRowIsNamedAndLeftOutOfTheNormalisedMaps()
    {
        var pairs = Fixture().ToList();
        pairs.Insert(2, Degenerate(pairs[0]));   // row 3
        string path = Pairs("with-degenerate.jsonl", pairs);
        var result = Patch(path, "out");
        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains($"warning: {path}: row(s) 3: clean and corrupted logit differences are equal", result.Stderr);

        string outDir = Path.Combine(_dir, "out");
        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json"))).RootElement;
        var excluded = Assert.Single(run.GetProperty("excluded_from_normalized").EnumerateArray());
        Assert.Equal(3, excluded.GetProperty("row").GetInt32());

        // the normalised means equal those of the run without the row
        Assert.True(Patch(Pairs("without.jsonl", Fixture()), "reference").Exit == 0);
        foreach (var name in new[] { "head-z_normalized_mean.npy", "resid-pre_normalized_mean.npy" })
        {
            var mean = NpyFile.Read(Path.Combine(outDir, name));
            Assert.All(mean.Data.Where(v => !float.IsNaN(v)), v => Assert.True(float.IsFinite(v), name));
            TensorAssert.Close(NpyFile.Read(Path.Combine(_dir, "reference", name)), mean, name, atol: 1e-4, rtol: 1e-4);
        }
        var perExample = NpyFile.Read(Path.Combine(outDir, "head-z_normalized.npy"));
        Assert.All(perExample.Slice(2).ToArray(), v => Assert.True(float.IsNaN(v), "the degenerate row has no normalised score"));
        Assert.All(perExample.Slice(0).ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void OnlyDegenerateRowsIsAUserError()
    {
        string path = Pairs("all-degenerate.jsonl", Fixture().Select(Degenerate));
        var result = Patch(path, "out");
        CliRunner.AssertUserError(result, path, "every pair has equal clean and corrupted logit differences", "rows 1, 2, 3, 4");
        Assert.False(File.Exists(Path.Combine(_dir, "out", "head-z_normalized_mean.npy")));
    }

    [Fact]
    public void ARefusedRunLeavesNothingBehind()
    {
        string path = Pairs("all-degenerate.jsonl", Fixture().Select(Degenerate));
        // a new --out: the directory the run created is gone (no .checkpoint, no .lock)
        CliRunner.AssertUserError(Patch(path, "new"), "every pair has equal clean and corrupted");
        Assert.False(Directory.Exists(Path.Combine(_dir, "new")));
        // an existing empty --out stays as it was: empty
        Directory.CreateDirectory(Path.Combine(_dir, "existing"));
        CliRunner.AssertUserError(Patch(path, "existing"), "every pair has equal clean and corrupted");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "existing")));
        // and a run that is not refused still keeps its lock file, as every finished run does
        Assert.True(Patch(Pairs("fixture.jsonl", Fixture()), "existing").Exit == 0);
        Assert.True(File.Exists(Path.Combine(_dir, "existing", ".lock")));
        Assert.False(Directory.Exists(Path.Combine(_dir, "existing", ".checkpoint")));
    }
}
