// The IOI circuit step on a random GPT-2-small-shaped model (12 × 12): the paper's circuit is checked
// too (check-paper.json), on the same ablation as the found one (the same F(M)), and the report tables
// set the found heads beside the paper's 26.
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Tasks.Ioi;
using Xunit.Abstractions;

namespace CircuitLens.Tests.Tasks;

public sealed class IoiCircuitAnalysisGpt2ShapeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-ioicircuit12-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ThePapersCircuitIsCheckedOnTwelveByTwelve()
    {
        var model = new HookedTransformer(Gpt2Weights.Random(Gpt2Config.Gpt2Small with { NCtx = 64 }, seed: 5));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pairs = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 3, Seed = 2 }).Pairs;
        var result = IoiCircuitAnalysis.Run(model, pairs, _dir, new IoiCircuitAnalysisOptions { MaxPairs = 3, Check = new CircuitCheckOptions { RandomSubsets = 0, GreedySteps = 0 } },
            log: m => output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s {m}"));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s done");
        var paper = Assert.IsType<CircuitCheckResult>(result.Paper);
        Assert.Equal(result.Found.FModel, paper.FModel, 9);
        Assert.Equal(26, paper.Minimality.Count);
        Assert.True(File.Exists(Path.Combine(_dir, "circuit", "check-paper.json")));
        var side = result.Tables.Single(t => t.Heading.StartsWith("Circuit analysis: heads found"));
        Assert.True(side.Rows.Count >= 26);
        Assert.Equal(26, side.Rows.Count(r => r[2] != ""));
        Assert.Contains(result.Tables, t => t.Heading == "Circuit analysis: found vs the paper, by class");
    }
}
