// The `ioi` circuit step on the real GPT-2 small (no BOS, as in the paper): the classifier labels 9.9,
// 9.6 and 10.0 name movers, and the paper's 26-head circuit, mean-ablated over the ABC corruptions per
// template, keeps F(C) within 20 % of F(M). Skipped unless CIRCUITLENS_GPT2_DIR is set.
using CircuitLens.Circuits;
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tests.RealModel;

public sealed class Gpt2SmallIoiClassesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-gpt2classes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [RealModelFact]
    public void TheNameMoversAreClassifiedAndThePapersCircuitIsFaithful()
    {
        var pairs = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 50, Seed = 0 }).Pairs;
        var result = IoiCircuitAnalysis.Run(Gpt2Small.Model, pairs, _dir, new IoiCircuitAnalysisOptions
        {
            PrependBos = false, Check = new CircuitCheckOptions { RandomSubsets = 0, GreedySteps = 0 },
        });
        string classes = string.Join(", ", result.Classes.Select(kv => $"{kv.Key}={kv.Value}"));
        foreach (var nm in new[] { "9.9", "9.6", "10.0" })
            Assert.True(result.Classes.TryGetValue(HeadId.Parse(nm, 12, 12), out var c) && c == IoiHeadClassifier.NameMover, $"{nm} is not classified a name mover: {classes}");
        var paper = Assert.IsType<CircuitCheckResult>(result.Paper);
        Assert.True(paper.Faithfulness <= 0.2 * Math.Abs(paper.FModel), $"F(M) = {paper.FModel:F3}, F(C) = {paper.FCircuit:F3}");
        Assert.True(File.Exists(Path.Combine(_dir, "circuit", "check-paper.json")));
    }
}
