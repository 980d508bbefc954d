// The IOI paper's circuit facts on the real GPT-2 small (no BOS, ABC corruption as the source, as in
// the paper): path patching to the logits puts the name movers 9.9, 9.6, 10.0 among the five senders
// whose corrupted output lowers the logit difference most, and the negative name movers 10.7 and
// 11.10 raise it; the paper's 26-head circuit, mean-ablated elsewhere over the ABC prompts per
// template, keeps F(C) within 20 % of F(M). Skipped unless CIRCUITLENS_GPT2_DIR is set.
using CircuitLens.Circuits;
using CircuitLens.Patching;
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tests.RealModel;

public sealed class Gpt2SmallCircuitTests
{
    private static (PatchingBatch Data, IReadOnlyList<IoiPair> Pairs) AbcPairs(int n)
    {
        var pairs = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = n, Seed = 0, Corruption = IoiCorruption.Abc }).Pairs;
        return (new IoiTokenizedPairs(Gpt2Small.Model, pairs, prependBos: false, source: "abc").ToPatchingBatch("abc"), pairs);
    }

    [RealModelFact]
    public void PathPatchingToTheLogitsFindsTheNameMovers()
    {
        var (data, _) = AbcPairs(50);
        var mean = PathPatching.Run(Gpt2Small.Model, data, PathReceivers.Logits).NormalizedMean();
        var heads = Enumerable.Range(0, 144).Select(i => (Name: $"{i / 12}.{i % 12}", Score: mean.Data[i])).ToList();
        var lowering = heads.OrderBy(h => h.Score).Take(5).Select(h => h.Name).ToList();
        string all = string.Join(", ", heads.OrderByDescending(h => Math.Abs(h.Score)).Take(12).Select(h => $"{h.Name}={h.Score:F3}"));
        foreach (var nm in new[] { "9.9", "9.6", "10.0" })
            Assert.True(lowering.Contains(nm), $"{nm} not among the 5 senders that lower the logit difference most: {string.Join(", ", lowering)}; strongest: {all}");
        foreach (var neg in new[] { "10.7", "11.10" })
            Assert.True(heads.Single(h => h.Name == neg).Score > 0, $"{neg} (negative name mover) should raise the logit difference; strongest: {all}");
    }

    [RealModelFact]
    public void ThePapersCircuitIsFaithfulWithinTwentyPercent()
    {
        var (data, pairs) = AbcPairs(50);
        var reference = Enumerable.Range(0, data.Count).Select(b => data.Corrupt.Row(b).ToArray()).ToList();
        var groups = pairs.Select(p => p.Template).ToList();
        var ablation = new CircuitAblation(Gpt2Small.Model, data, AblationKind.Mean, reference, groups, groups);
        var circuit = Circuit.Load("ioi-paper", 12, 12);
        double fModel = ablation.F(Circuit.Full(12, 12)), fCircuit = ablation.F(circuit);
        Assert.True(Math.Abs(fModel - fCircuit) <= 0.2 * Math.Abs(fModel), $"F(M) = {fModel:F3}, F(C) = {fCircuit:F3}");
    }
}
