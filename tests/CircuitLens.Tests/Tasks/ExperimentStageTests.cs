// The experiment pipeline from the library, without the CLI: a pair file → CorrectnessStage →
// PatchExperiment writes the metric baselines, maps, run.json and report.html, and reports progress.
using System.Text.Json;
using CircuitLens.Patching;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Tasks;

public sealed class ExperimentStageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-experiment-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void FilterThenPatchRunsFromTheLibrary()
    {
        var pairs = PairFile.Read(TinyGpt2.Expected("metrics", "logit_diff_to_max", "pairs.jsonl"));
        string kept = Path.Combine(_dir, "kept.jsonl"), report = Path.Combine(_dir, "filter.json");
        var filtered = CorrectnessStage.Run(TinyGpt2.Model, pairs, prependBos: false, CorrectnessMode.Sign, kept, report);
        var clean = NpyFile.Read(TinyGpt2.Expected("metrics", "logit_diff_to_max", "clean_metric.npy")).Data;
        Assert.Equal(clean.Count(v => v > 0), filtered.Kept.Count);
        Assert.Equal("logit-diff-to-max", JsonDocument.Parse(File.ReadAllText(report)).RootElement.GetProperty("metric").GetString());

        var fractions = new List<double>();
        var result = PatchExperiment.Run(TinyGpt2.Model, pairs, prependBos: false, Path.Combine(_dir, "out"),
            new PatchExperimentOptions { Sweeps = [Sweep.HeadZ, Sweep.ResidMid], Plots = false, MarkIoiHeads = false },
            new SyncProgress<JobProgress>(p => fractions.Add(p.Fraction)));
        Assert.Equal(1.0, fractions[^1]);
        TensorAssert.Close(clean, NpyFile.Read(Path.Combine(_dir, "out", "clean_metric.npy")).Data, "clean_metric");
        Assert.True(File.Exists(result.ReportPath));
        foreach (var f in result.Files) Assert.True(File.Exists(f), f);
        Assert.Equal("logit-diff-to-max", result.Job.Metric);
    }
}
