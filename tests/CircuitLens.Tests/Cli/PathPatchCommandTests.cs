// `circuitlens path-patch` end to end on the fixture's circuits pairs (no BOS): the RAW map against the
// float64 reference for both receiver kinds (also on --device ilgpu-cpu, both engines), the normalised
// forms, path-patch.json, and user errors.
using System.Text.Json;
using CircuitLens.Tensors;
using CircuitLens.Tests.Circuits;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class PathPatchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clipath-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("logits", "path_patch_logits.npy")]
    [InlineData("2.1:q,2.3:k,2.0:v", "path_patch_heads.npy")]
    public void WritesTheReferenceMapAndItsNormalisedForms(string receivers, string expected)
    {
        string outDir = Path.Combine(_dir, "out");
        var result = CliRunner.Run(["path-patch", "--model", CliFixture.Model, "--pairs", CircuitFixtures.File("pairs.jsonl"),
            "--receivers", receivers, "--no-bos", "--out", outDir]);
        Assert.True(result.Exit == 0, result.ToString());
        var raw = NpyFile.Read(Path.Combine(outDir, "path-patch.npy"));
        TensorAssert.Close(NpyFile.Read(CircuitFixtures.File(expected)), raw, expected);
        var clean = NpyFile.Read(Path.Combine(outDir, "clean_metric.npy")).Data;
        var corrupt = NpyFile.Read(Path.Combine(outDir, "corrupt_metric.npy")).Data;
        var norm = NpyFile.Read(Path.Combine(outDir, "path-patch_normalized.npy"));
        Assert.Equal((raw[1, 0, 2] - clean[1]) / (clean[1] - corrupt[1]), norm[1, 0, 2], 5);
        Assert.Equal([3, 4], NpyFile.Read(Path.Combine(outDir, "path-patch_normalized_mean.npy")).Shape);
        using var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "path-patch.json")));
        Assert.Equal(receivers, info.RootElement.GetProperty("receivers").GetString());
        Assert.False(info.RootElement.GetProperty("prepend_bos").GetBoolean());
        Assert.True(File.Exists(Path.Combine(outDir, "path-patch.svg")) && File.Exists(Path.Combine(outDir, "path-patch.png")));
    }

    [Theory]
    [InlineData("logits", "path_patch_logits.npy", false)]
    [InlineData("2.1:q,2.3:k,2.0:v", "path_patch_heads.npy", false)]
    [InlineData("2.1:q,2.3:k,2.0:v", "path_patch_heads.npy", true)]
    public void OnIlgpuCpuBothEnginesWriteTheReferenceMap(string receivers, string expected, bool plain)
    {
        string outDir = Path.Combine(_dir, "device");
        var result = CliRunner.Run(["path-patch", "--model", CliFixture.Model, "--pairs", CircuitFixtures.File("pairs.jsonl"),
            "--receivers", receivers, "--no-bos", "--device", "ilgpu-cpu", "--no-plots", "--out", outDir, .. plain ? new[] { "--plain" } : []]);
        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("device ilgpu-cpu:", result.Stderr);
        TensorAssert.Close(NpyFile.Read(CircuitFixtures.File(expected)), NpyFile.Read(Path.Combine(outDir, "path-patch.npy")), $"{expected} on ilgpu-cpu");
    }

    [Fact]
    public void BadReceiversAndMismatchedSourceAreOneLineErrors()
    {
        CliRunner.AssertUserError(CliRunner.Run(["path-patch", "--model", CliFixture.Model, "--pairs", CircuitFixtures.File("pairs.jsonl"),
            "--receivers", "7.1:q", "--out", Path.Combine(_dir, "x")]), "7.1", "does not exist");
        CliRunner.AssertUserError(CliRunner.Run(["path-patch", "--model", CliFixture.Model, "--pairs", CircuitFixtures.File("pairs.jsonl"),
            "--receivers", "logits", "--source", CircuitFixtures.File("reference.jsonl"), "--out", Path.Combine(_dir, "y")]), "6 source rows", "4 pairs");
        Assert.False(Directory.Exists(Path.Combine(_dir, "y")));
    }
}
