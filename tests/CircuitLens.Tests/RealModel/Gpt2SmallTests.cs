// Known behaviour of the real GPT-2 small (TransformerLens defaults: BOS prepended): its shape, token
// ids, the IOI prediction and logit difference, and the IOI paper's name-mover heads in a head-z
// patching sweep over the 8-prompt demo set. Skipped unless CIRCUITLENS_GPT2_DIR is set.
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Ioi;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Tests.RealModel;

public sealed class Gpt2SmallTests
{
    private static float[] LastLogits(string prompt, bool bos = true)
    {
        var m = Gpt2Small.Model;
        return m.Forward(TokenBatch.Single(m.ToTokens(prompt, bos)), LogitsMode.LastPosition).Slice(0, 0).ToArray();
    }

    private static int Id(string token) => Assert.Single(Gpt2Small.Model.ToTokens(token, prependBos: false));

    [RealModelFact]
    public void ConfigIsGpt2Small()
    {
        var c = Gpt2Small.Model.Config;
        Assert.Equal((12, 12, 768, 3072, 1024, 50257), (c.NLayers, c.NHeads, c.DModel, c.DMlp, c.NCtx, c.VocabSize));
        Assert.InRange(Gpt2Small.Model.Weights.ParameterCount, 124_000_000L, 125_000_000L);
    }

    [RealModelFact]
    public void TokenIdsAreGpt2s()
    {
        Assert.Equal(1757, Id(" John"));
        Assert.Equal(5335, Id(" Mary"));
        Assert.Equal(2215, Id("When"));
        Assert.Equal([50256, 2215, 1757, 290, 5335, 1816, 284, 262, 12437, 11, 1757, 2921, 262, 6131, 284], Gpt2Small.Model.ToTokens(Gpt2Small.IoiPrompt));
    }

    [RealModelFact]
    public void PredictsTheIndirectObject()
    {
        var logits = LastLogits(Gpt2Small.IoiPrompt);
        Assert.Equal(Id(" Mary"), TensorPrimitives.IndexOfMax(logits));
        Assert.True(logits[Id(" Mary")] - logits[Id(" John")] > 0, "logit(' Mary') - logit(' John') should be positive");
    }

    [RealModelFact]
    public void GreedyGenerationContinuesWithTheIndirectObject()
    {
        var m = Gpt2Small.Model;
        var tokens = m.ToTokens(Gpt2Small.IoiPrompt).ToList();
        for (int i = 0; i < 3; i++)
            tokens.Add(TensorPrimitives.IndexOfMax(m.Forward(TokenBatch.Single(tokens.ToArray()), LogitsMode.LastPosition).Slice(0, 0)));
        Assert.StartsWith(Gpt2Small.IoiPrompt + " Mary", m.ToText(tokens.Skip(1).ToArray()));
    }

    // The 8 demo prompts: TransformerLens' exploratory-analysis demo reports a mean logit difference of
    // about 3.55 on them; the corrupted prompts are the S2 swaps, so their mean is its negative.
    private static PatchingBatch DemoBatch()
    {
        var pairs = new IoiTokenizedPairs(Gpt2Small.Model, IoiDemoSet.Pairs(Gpt2Small.Model.Tokenizer), prependBos: true, source: "demo");
        return pairs.ToPatchingBatch("demo");
    }

    [RealModelFact]
    public void DemoSetLogitDifferences()
    {
        var data = DemoBatch();
        var clean = data.Metric.FromLogits(Gpt2Small.Model.Forward(data.Clean, LogitsMode.LastPosition));
        var corrupt = data.Metric.FromLogits(Gpt2Small.Model.Forward(data.Corrupt, LogitsMode.LastPosition));
        Assert.InRange(clean.Average(), 3.50, 3.60);
        Assert.InRange(corrupt.Average(), -3.60, -3.50);
    }

    [RealModelFact]
    public void HeadZSweepFindsTheNameMovers()
    {
        var result = FastActivationPatching.Run(Gpt2Small.Model, DemoBatch(), Sweep.HeadZ);
        var mean = result.NormalizedMean();
        Assert.Equal([12, 12], mean.Shape);
        var heads = Enumerable.Range(0, 144).Select(i => (Name: $"{i / 12}.{i % 12}", Score: mean.Data[i])).ToList();
        var positive = heads.OrderByDescending(h => h.Score).Take(5).Select(h => h.Name).ToList();
        var negative = heads.OrderBy(h => h.Score).Take(5).Select(h => h.Name).ToList();
        string all = string.Join(", ", heads.OrderByDescending(h => Math.Abs(h.Score)).Take(12).Select(h => $"{h.Name}={h.Score:F3}"));

        Assert.True(positive.Contains("9.9"), $"9.9 (name mover) not among the top-5 positive heads: {string.Join(", ", positive)}; strongest: {all}");
        Assert.True(negative.Contains("10.7") || negative.Contains("11.10"), $"neither 10.7 nor 11.10 (negative name movers) among the top-5 negative heads: {string.Join(", ", negative)}; strongest: {all}");
    }
}
