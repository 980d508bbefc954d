// The `ioi` circuit step on the real GPT-2 small (no BOS, as in the paper), run once for these tests:
// the classifier labels 9.9, 9.6 and 10.0 name movers; with them knocked out (mean-ablated over the ABC
// corruptions), 10.10 and 10.6 — two of the paper's eight backup name movers — are classified backup
// name movers; and the paper's 26-head circuit, mean-ablated over the ABC corruptions per template,
// keeps F(C) within 20 % of F(M). Skipped unless CIRCUITLENS_GPT2_DIR is set.
using CircuitLens.Circuits;
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tests.RealModel;

public sealed class Gpt2SmallIoiAnalysis : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("circuitlens-gpt2classes-").FullName;

    // lazy: a skipped test never loads the model
    private readonly Lazy<IoiCircuitAnalysisResult> _result;

    public Gpt2SmallIoiAnalysis() => _result = new(() => IoiCircuitAnalysis.Run(Gpt2Small.Model,
        IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 50, Seed = 0 }).Pairs, Dir, new IoiCircuitAnalysisOptions
        {
            PrependBos = false, Check = new CircuitCheckOptions { RandomSubsets = 0, GreedySteps = 0 },
        }));

    public IoiCircuitAnalysisResult Result => _result.Value;

    public string Classes => string.Join(", ", Result.Classes.Select(kv => $"{kv.Key}={kv.Value}"));

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

public sealed class Gpt2SmallIoiClassesTests(Gpt2SmallIoiAnalysis analysis) : IClassFixture<Gpt2SmallIoiAnalysis>
{
    [RealModelFact]
    public void TheNameMoversAreClassifiedAndThePapersCircuitIsFaithful()
    {
        var result = analysis.Result;
        foreach (var nm in new[] { "9.9", "9.6", "10.0" })
            Assert.True(result.Classes.TryGetValue(HeadId.Parse(nm, 12, 12), out var c) && c == IoiHeadClassifier.NameMover, $"{nm} is not classified a name mover: {analysis.Classes}");
        var paper = Assert.IsType<CircuitCheckResult>(result.Paper);
        Assert.True(paper.Faithfulness <= 0.2 * Math.Abs(paper.FModel), $"F(M) = {paper.FModel:F3}, F(C) = {paper.FCircuit:F3}");
        Assert.True(File.Exists(Path.Combine(analysis.Dir, "circuit", "check-paper.json")));
    }

    [RealModelFact]
    public void TheKnockOutOfTheNameMoversFindsBackupNameMovers()
    {
        var result = analysis.Result;
        Assert.Contains(HeadId.Parse("9.9", 12, 12), result.Measurements.KnockedOut);
        foreach (var backup in new[] { "10.10", "10.6" })
        {
            var head = HeadId.Parse(backup, 12, 12);
            Assert.True(result.Classes.TryGetValue(head, out var c) && c == IoiHeadClassifier.BackupNameMover,
                $"{backup} is not classified a backup name mover (knock-out growth {result.Measurements.KnockoutDirectEffect?[head.Layer, head.Head]}): {analysis.Classes}");
        }
    }
}
