// The planted IOI model (duplicate-token 0.0 → S-inhibition 1.0 → name mover 2.0): it predicts the
// name that is not repeated, the duplicate-token detector and the copy score pick the planted heads,
// path patching finds the planted edges, and the planted circuit is faithful.
using CircuitLens.Circuits;
using CircuitLens.Circuits.Toy;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Ioi;
using Xunit.Abstractions;

namespace CircuitLens.Tests.Circuits;

public class ToyIoiTests(ITestOutputHelper output)
{
    private static readonly Lazy<PlantedModel> s_toy = new(() => CircuitLens.Tasks.Circuits.ToyTask.Build("ioi"));
    private static readonly Lazy<HookedTransformer> s_model = new(() => s_toy.Value.ToModel());

    private static PatchingBatch Pairs(int n, int seed, IoiCorruption corruption = IoiCorruption.S2Swap) =>
        new IoiTokenizedPairs(s_model.Value, IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = n, Seed = seed, Corruption = corruption }).Pairs, prependBos: true).ToPatchingBatch();

    [Fact]
    public void ItPredictsTheIndirectObject()
    {
        var data = Pairs(30, 1);
        var clean = data.Metric.FromLogits(s_model.Value.Forward(data.Clean, LogitsMode.LastPosition));
        var corrupt = data.Metric.FromLogits(s_model.Value.Forward(data.Corrupt, LogitsMode.LastPosition));
        output.WriteLine($"clean {clean.Min()}..{clean.Average()} corrupt {corrupt.Max()}..{corrupt.Average()}");
        Assert.All(clean, x => Assert.True(x > 0));
        Assert.All(corrupt, x => Assert.True(x < 0));
    }

    [Fact]
    public void DetectorsPickThePlantedHeads()
    {
        var scores = HeadDetectors.Score(s_model.Value, HeadDetectors.RepeatedRandomTokens(8, 20, seed: 2, prependBos: true, 50257));
        var dup = scores[HeadDetector.DuplicateToken];
        output.WriteLine($"dup 0.0 {dup[0, 0]}");
        Assert.Equal(0, Enumerable.Range(0, dup.Length).MaxBy(i => dup.Data[i]));
        var roles = IoiHeadRoles.Score(s_model.Value, Pairs(10, 3));
        output.WriteLine($"copy 2.0 {roles.CopyScore[2, 0]} end→io {roles.EndToIo[2, 0]} end→s {roles.EndToS[2, 0]}");
        Assert.Equal(1f, roles.CopyScore[2, 0]);
        Assert.All(Enumerable.Range(0, 6).Where(i => i != 4), i => Assert.True(roles.CopyScore.Data[i] < 0.5f, $"head {i / 2}.{i % 2} copies names"));
        Assert.True(roles.EndToIo[2, 0] > 0.8 && roles.EndToS[2, 0] < 0.1, "the name mover attends from END to IO, not S");
    }

    // the paper's setting: source = the ABC prompts, where no name repeats, so the duplicate flag itself differs
    [Fact]
    public void PathPatchingFindsThePlantedEdges()
    {
        var data = Pairs(10, 4, IoiCorruption.Abc);
        var toLogits = PathPatching.Run(s_model.Value, data, PathReceivers.Logits).NormalizedMean();
        var toQuery = PathPatching.Run(s_model.Value, data, PathReceivers.Parse("2.0:q", 3, 2)).NormalizedMean();
        var toKey = PathPatching.Run(s_model.Value, data, PathReceivers.Parse("1.0:k", 3, 2)).NormalizedMean();
        output.WriteLine($"logits 0.0 {toLogits[0, 0]} 1.0 {toLogits[1, 0]} 2.0 {toLogits[2, 0]}; 2.0:q 0.0 {toQuery[0, 0]} 1.0 {toQuery[1, 0]}; 1.0:k 0.0 {toKey[0, 0]}");
        Assert.True(toLogits[2, 0] < -0.5, "2.0 → logits");
        Assert.True(Math.Abs(toLogits[0, 0]) < 0.05 && Math.Abs(toLogits[1, 0]) < 0.05, "no direct path from 0.0 or 1.0 to the logits");
        Assert.True(toQuery[1, 0] < -0.5 && Math.Abs(toQuery[0, 0]) < 0.05, "1.0 → 2.0:q, and 0.0 only through 1.0");
        Assert.True(toKey[0, 0] < -0.5, "0.0 → 1.0:k");
        foreach (var (l, h) in new[] { (0, 1), (1, 1), (2, 1) }) Assert.Equal(0f, toLogits[l, h]);
    }

    [Fact]
    public void ThePlantedCircuitIsFaithful()
    {
        var data = Pairs(10, 5);
        var reference = new IoiTokenizedPairs(s_model.Value, IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 40, Seed = 6, Corruption = IoiCorruption.Abc }).Pairs, true).Corrupt;
        var ablation = new CircuitAblation(s_model.Value, data, AblationKind.Mean, reference.ToList());
        var result = CircuitCheck.Run(ablation, s_toy.Value.Circuit, 3, 2, new CircuitCheckOptions { RandomSubsets = 0, GreedySteps = 1 });
        output.WriteLine($"F(M) {result.FModel} F(C) {result.FCircuit}");
        Assert.True(result.Faithfulness < 1e-3 * Math.Abs(result.FModel));
        Assert.All(result.Minimality, m => Assert.True(m.Score > 0.3 * result.FModel, $"{m.Head} is needed ({m.Score})"));
    }

    [Fact]
    public void EapIgRanksThePlantedEdgesAmongTheStrongest()
    {
        var data = Pairs(8, 7, IoiCorruption.Abc);
        var ranked = EdgeAttribution.Run(s_model.Value, data, EdgeMethod.EapIg, steps: 5).Ranked();
        var top = ranked.Take(6).Select(e => $"{e.Sender}→{e.Receiver}").ToList();
        output.WriteLine(string.Join(", ", ranked.Take(8).Select(e => $"{e.Sender}→{e.Receiver}={e.Score:F2}")));
        foreach (var edge in new[] { "0.0→1.0:k", "1.0→2.0:q", "2.0→logits" }) Assert.Contains(edge, top);
        var found = CircuitLens.Tasks.Circuits.CircuitDiscoverTask.ToCircuit(ranked.Take(6).ToList(), s_toy.Value.Circuit, "found");
        Assert.Equal(["0.0", "1.0", "2.0"], found.Heads.Select(h => h.Head.ToString()));
    }
}
