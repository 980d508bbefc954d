// The IOI circuit step on the planted IOI model (duplicate-token 0.0 → S-inhibition 1.0 → name mover
// 2.0): the classifier labels the planted name mover a name mover and the planted S-inhibition head
// S-inhibition, the second path patching's receiver is the name mover's query, and the found circuit
// is faithful under mean ablation over the ABC corruptions.
using CircuitLens.Circuits;
using CircuitLens.Tasks.Ioi;
using Xunit.Abstractions;

namespace CircuitLens.Tests.Circuits;

public sealed class ToyIoiClassificationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-toyclasses-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ThePlantedHeadsAreClassifiedAsThePaperClasses()
    {
        var model = CircuitLens.Tasks.Circuits.ToyTask.Build("ioi").ToModel();
        var pairs = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 12, Seed = 3 }).Pairs;
        var result = IoiCircuitAnalysis.Run(model, pairs, _dir, new IoiCircuitAnalysisOptions { Seed = 1, Check = new CircuitCheckOptions { RandomSubsets = 0, GreedySteps = 0 } });
        output.WriteLine(string.Join(", ", result.Classes.Select(kv => $"{kv.Key}={kv.Value}")));
        output.WriteLine($"F(M) {result.Found.FModel} F(C) {result.Found.FCircuit}");
        Assert.Equal(12, result.Pairs);
        Assert.Equal([new HeadId(2, 0)], result.Receivers);
        Assert.Equal(IoiHeadClassifier.NameMover, result.Classes[new HeadId(2, 0)]);
        Assert.Equal(IoiHeadClassifier.SInhibition, result.Classes[new HeadId(1, 0)]);
        Assert.DoesNotContain(result.Classes, kv => kv.Key.Head == 1);   // the unused heads carry nothing
        Assert.True(result.Found.Faithfulness < 0.05 * Math.Abs(result.Found.FModel), $"F(M) {result.Found.FModel}, F(C) {result.Found.FCircuit}");
        Assert.Null(result.Paper);
        Assert.True(File.Exists(Path.Combine(_dir, "circuit", "classes.json")));
    }

    [Fact]
    public void AbcCorruptionReplacesEachNameMentionAndKeepsTheRest()
    {
        var pair = new IoiPair { Clean = "When Mary and John went to the shops, John gave a bag to", Corrupt = "x", Answer = " Mary", Wrong = " John", Io = "Mary", S = "John" };
        var abc = IoiCircuitAnalysis.WithAbcCorruption(pair, ["Mary", "John", "Anna", "Bob", "Carl"], new Random(0))!;
        var words = abc.Corrupt.Split(' ');
        string c = words[1], d = words[3], e = words[8].TrimEnd(',');
        Assert.Equal(3, new[] { c, d, e }.Distinct().Count());
        Assert.All(new[] { c, d, e }, n => Assert.Contains(n, new[] { "Anna", "Bob", "Carl" }));
        Assert.Equal($"When {c} and {d} went to the shops, {e} gave a bag to", abc.Corrupt);
        Assert.Null(IoiCircuitAnalysis.WithAbcCorruption(pair with { S = "Zed" }, ["Anna", "Bob", "Carl"], new Random(0)));
    }
}
