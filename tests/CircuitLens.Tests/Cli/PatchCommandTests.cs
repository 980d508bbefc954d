// `circuitlens patch` end to end on the fixture's 4 pairs (no BOS): every map against the float64
// reference sweeps, the per-example normalisation, run.json, a self-contained report with well-formed
// SVGs, and the other methods (plain = same numbers; attribution and both write their files).
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class PatchCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clipatch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // output file → reference file
    private static readonly (string Output, string Expected)[] s_maps =
    [
        ("head-z", "head_z"), ("head-q", "head_q"), ("head-k", "head_k"), ("head-v", "head_v"), ("head-pattern", "head_pattern"),
        ("resid-pre", "pos_resid_pre"), ("attn-out", "pos_attn_out"), ("mlp-out", "pos_mlp_out"),
    ];

    private CliResult Patch(string outName, params string[] extra) => PatchSweeps(outName, "heads-every,block-every", extra);

    private CliResult PatchSweeps(string outName, string sweeps, params string[] extra)
    {
        string pairs = File.Exists(Path.Combine(_dir, "pairs.jsonl")) ? Path.Combine(_dir, "pairs.jsonl") : CliFixture.WritePairs(_dir);
        return CliRunner.Run(["patch", "--model", CliFixture.Model, "--pairs", pairs, "--sweep", sweeps, "--no-bos",
            "--out", Path.Combine(_dir, outName), .. extra]);
    }

    private static Tensor Expected(string name) => NpyFile.Read(TinyGpt2.Expected("patch", name + ".npy"));

    [Fact]
    public void ExactSweepsMatchTheReferenceAndWriteAReport()
    {
        var result = Patch("exact");
        Assert.True(result.Exit == 0, result.ToString());
        string outDir = Path.Combine(_dir, "exact");
        Assert.Equal(Path.GetFullPath(outDir), result.Stdout.Trim());

        var clean = NpyFile.Read(Path.Combine(outDir, "clean_logit_diff.npy"));
        var corrupt = NpyFile.Read(Path.Combine(outDir, "corrupt_logit_diff.npy"));
        TensorAssert.Close(Expected("clean_logit_diff"), clean, "clean_logit_diff");
        TensorAssert.Close(Expected("corrupt_logit_diff"), corrupt, "corrupt_logit_diff");
        foreach (var (output, expected) in s_maps)
        {
            var patched = NpyFile.Read(Path.Combine(outDir, output + ".npy"));
            TensorAssert.Close(Expected(expected), patched, output);

            var normalized = NpyFile.Read(Path.Combine(outDir, output + "_normalized.npy"));
            Assert.Equal(patched.Shape, normalized.Shape);
            int inner = patched.Length / 4;
            for (int b = 0; b < 4; b++)
            {
                var want = patched.Data.Skip(b * inner).Take(inner).Select(v => (v - corrupt.Data[b]) / (clean.Data[b] - corrupt.Data[b])).ToArray();
                TensorAssert.Close(want, normalized.Data.AsSpan(b * inner, inner), $"{output}_normalized[{b}]");
            }
            Assert.True(File.Exists(Path.Combine(outDir, output + "_normalized_mean.npy")), output);
            Assert.True(File.Exists(Path.Combine(outDir, output + "_mean.csv")), output);
        }

        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json"))).RootElement;
        Assert.False(run.GetProperty("prepend_bos").GetBoolean());
        Assert.Equal(4, run.GetProperty("dataset").GetProperty("pairs").GetInt32());
        Assert.Equal("exact", run.GetProperty("method").GetString());
        Assert.Equal(8, run.GetProperty("sweeps").GetArrayLength());
        foreach (var file in run.GetProperty("files").EnumerateArray())
            Assert.True(File.Exists(Path.Combine(outDir, file.GetString()!)), file.GetString());

        AssertSelfContainedReport(Path.Combine(outDir, "report.html"));
        var svgs = Directory.GetFiles(outDir, "*.svg", SearchOption.AllDirectories);
        Assert.NotEmpty(svgs);
        foreach (var svg in svgs) Assert.Equal("svg", XDocument.Load(svg).Root!.Name.LocalName);
        Assert.False(Directory.Exists(Path.Combine(outDir, ".checkpoint")), "the checkpoint is removed after a finished run");
    }

    internal static void AssertSelfContainedReport(string path)
    {
        Assert.True(File.Exists(path), path);
        string html = File.ReadAllText(path);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.OrdinalIgnoreCase);
        // XML namespace names (xmlns="http://www.w3.org/2000/svg") are identifiers, not fetches; anything else is a link out
        string withoutNamespaces = Regex.Replace(html, @"xmlns(:\w+)?=""[^""]*""", "");
        Assert.DoesNotMatch(new Regex("https?://"), withoutNamespaces);
    }

    [Fact]
    public void PlainMethodGivesTheSameArrays()
    {
        var result = Patch("plain", "--method", "plain", "--no-plots");
        Assert.True(result.Exit == 0, result.ToString());
        foreach (var (output, expected) in s_maps)
            TensorAssert.Close(Expected(expected), NpyFile.Read(Path.Combine(_dir, "plain", output + ".npy")), output);
        Assert.Equal("plain", JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "plain", "run.json"))).RootElement.GetProperty("method").GetString());
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "plain"), "*.svg"));
    }

    [Fact]
    public void AttributionWritesItsMaps()
    {
        var result = Patch("attr", "--method", "attribution", "--no-plots");
        Assert.True(result.Exit == 0, result.ToString());
        string outDir = Path.Combine(_dir, "attr");
        foreach (var (output, expected) in s_maps)
            Assert.Equal(Expected(expected).Shape, NpyFile.Read(Path.Combine(outDir, output + ".npy")).Shape);
        // attribution estimates the patched metric; its baselines are still the exact clean and corrupted runs
        TensorAssert.Close(Expected("clean_logit_diff"), NpyFile.Read(Path.Combine(outDir, "clean_logit_diff.npy")), "clean_logit_diff");
        Assert.Equal("attribution", JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json"))).RootElement.GetProperty("method").GetString());
        AssertSelfContainedReport(Path.Combine(outDir, "report.html"));
    }

    [Fact]
    public void BothWritesExactAttributionAndAgreement()
    {
        // two sweeps keep the pictures (drawn twice here) cheap; one per-head and one per-position
        var result = PatchSweeps("both", "head-z,resid-pre", "--method", "both");
        Assert.True(result.Exit == 0, result.ToString());
        string outDir = Path.Combine(_dir, "both");
        TensorAssert.Close(Expected("head_z"), NpyFile.Read(Path.Combine(outDir, "head-z.npy")), "exact head-z");
        TensorAssert.Close(Expected("pos_resid_pre"), NpyFile.Read(Path.Combine(outDir, "resid-pre.npy")), "exact resid-pre");
        Assert.Equal(Expected("head_z").Shape, NpyFile.Read(Path.Combine(outDir, "attribution", "head-z.npy")).Shape);
        Assert.Equal(Expected("pos_resid_pre").Shape, NpyFile.Read(Path.Combine(outDir, "attribution", "resid-pre.npy")).Shape);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(outDir, "attribution"), "*.svg"));
        var agreement = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "agreement.json"))).RootElement;
        Assert.Equal(JsonValueKind.Array, agreement.ValueKind);
        Assert.Equal(2, agreement.GetArrayLength());
        Assert.Contains("correlation", result.Stderr);
        AssertSelfContainedReport(Path.Combine(outDir, "report.html"));
    }

    [Fact]
    public void UnknownMethodIsRejected()
    {
        var result = Patch("x", "--method", "magic");
        Assert.NotEqual(0, result.Exit);
        Assert.False(Directory.Exists(Path.Combine(_dir, "x")));
    }
}
