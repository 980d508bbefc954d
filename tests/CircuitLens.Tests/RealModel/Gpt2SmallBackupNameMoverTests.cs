// Backup name movers on the real GPT-2 small (no BOS, as in the paper): with the name movers found
// mean-ablated over the ABC corruptions, 10.10 and 10.6 — two of the paper's eight backup name movers —
// grow in direct effect and are classified backup name movers. Skipped unless CIRCUITLENS_GPT2_DIR is set.
using CircuitLens.Circuits;
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tests.RealModel;

public sealed class Gpt2SmallBackupNameMoverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-gpt2backup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [RealModelFact]
    public void TheKnockOutOfTheNameMoversFindsBackupNameMovers()
    {
        var pairs = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 50, Seed = 0 }).Pairs;
        var result = IoiCircuitAnalysis.Run(Gpt2Small.Model, pairs, _dir, new IoiCircuitAnalysisOptions
        {
            PrependBos = false, Check = new CircuitCheckOptions { RandomSubsets = 0, GreedySteps = 0 },
        });
        string classes = string.Join(", ", result.Classes.Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.Contains(HeadId.Parse("9.9", 12, 12), result.Measurements.KnockedOut);
        foreach (var backup in new[] { "10.10", "10.6" })
        {
            var head = HeadId.Parse(backup, 12, 12);
            Assert.True(result.Classes.TryGetValue(head, out var c) && c == IoiHeadClassifier.BackupNameMover,
                $"{backup} is not classified a backup name mover (knock-out growth {result.Measurements.KnockoutDirectEffect?[head.Layer, head.Head]}): {classes}");
        }
    }
}
