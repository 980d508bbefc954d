// `circuitlens patch` and `filter model` on pair files of the other metrics (the fixture's prob-diff and
// logit-diff-to-max files, no BOS): the baselines and head-z map against the float64 reference,
// clean_metric.npy/corrupt_metric.npy written, run.json naming the metric; filter model's report too.
using System.Text.Json;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class PatchMetricCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clipatchmetric-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("prob_diff", "prob-diff", "exact")]
    [InlineData("logit_diff_to_max", "logit-diff-to-max", "exact")]
    [InlineData("prob_diff", "prob-diff", "both")]
    public void PatchWritesTheMetricBaselinesAndMapOfAnyPairFile(string folder, string metric, string method)
    {
        string outDir = Path.Combine(_dir, folder + method);
        CliRunner.Ok("patch", "--model", CliFixture.Model, "--pairs", TinyGpt2.Expected("metrics", folder, "pairs.jsonl"), "--sweep", "head-z",
            "--no-bos", "--no-plots", "--method", method, "--out", outDir);
        var (atol, rtol) = folder == "prob_diff" ? (1e-7, 1e-4) : (1e-4, 1e-3);
        foreach (var name in new[] { "clean_metric", "corrupt_metric" })
            TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("metrics", folder, name + ".npy")), NpyFile.Read(Path.Combine(outDir, name + ".npy")), name, atol, rtol);
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("metrics", folder, "head_z.npy")), NpyFile.Read(Path.Combine(outDir, "head-z.npy")), "head-z", atol, rtol);
        Assert.False(File.Exists(Path.Combine(outDir, "clean_logit_diff.npy")), "the IOI file names are for the logit-diff metric");
        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json"))).RootElement;
        Assert.Equal(metric, run.GetProperty("metric").GetProperty("name").GetString());
        if (method == "both") Assert.True(File.Exists(Path.Combine(outDir, "attribution", "head-z.npy")));
    }

    [Fact]
    public void FilterModelReportsTheMetricOfAProbDiffFile()
    {
        string kept = Path.Combine(_dir, "kept.jsonl"), report = Path.Combine(_dir, "report.json");
        var result = CliRunner.Run("filter", "model", "--model", CliFixture.Model, "--in", TinyGpt2.Expected("metrics", "prob_diff", "pairs.jsonl"),
            "--out", kept, "--no-bos", "--mode", "sign", "--report", report);
        var clean = NpyFile.Read(TinyGpt2.Expected("metrics", "prob_diff", "clean_metric.npy")).Data;
        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.Equal("prob-diff", json.GetProperty("metric").GetString());
        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        TensorAssert.Close(clean, rows.Select(r => r.GetProperty("clean_metric").GetSingle()).ToArray(), "clean_metric", 1e-7, 1e-4);
        int expectedKept = clean.Count(v => v > 0);
        Assert.Equal(expectedKept, json.GetProperty("kept").GetInt32());
        if (expectedKept == 0) CliRunner.AssertUserError(result, "no pair survived");
        else
        {
            Assert.True(result.Exit == 0, result.ToString());
            Assert.Contains("\"wrong_answers\"", File.ReadAllText(kept));   // rows written back whole
        }
    }

    [Fact]
    public void LayersSelectsTheNeuronSweepsLayersAndTheCsvNamesThem()
    {
        string outDir = Path.Combine(_dir, "neurons");
        CliRunner.Ok("patch", "--model", CliFixture.Model, "--pairs", TinyGpt2.Expected("metrics", "logit_diff_to_max", "pairs.jsonl"),
            "--sweep", "mlp-post-neuron,resid-mid", "--layers", "1-2", "--no-bos", "--no-plots", "--method", "both", "--out", outDir);
        var neurons = NpyFile.Read(Path.Combine(outDir, "mlp-post-neuron.npy"));
        Assert.Equal([2, 2, TinyGpt2.Model.Config.DMlp], neurons.Shape);
        Assert.Equal([2, 2, TinyGpt2.Model.Config.DMlp], NpyFile.Read(Path.Combine(outDir, "attribution", "mlp-post-neuron.npy")).Shape);
        var csv = File.ReadAllLines(Path.Combine(outDir, "mlp-post-neuron_mean.csv"));
        Assert.StartsWith("layer,neuron,", csv[0]);
        Assert.Equal(["1", "2"], csv.Skip(1).Select(l => l.Split(',')[0]).Distinct());
        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json"))).RootElement;
        Assert.Equal([1, 2], run.GetProperty("layers").EnumerateArray().Select(e => e.GetInt32()));
        CliRunner.AssertUserError(CliRunner.Run("patch", "--model", CliFixture.Model, "--pairs", TinyGpt2.Expected("metrics", "prob_diff", "pairs.jsonl"),
            "--sweep", "head-z", "--layers", "2-7", "--out", Path.Combine(_dir, "bad")), "layer 3 is outside");
    }
}
