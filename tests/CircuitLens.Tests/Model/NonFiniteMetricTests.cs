// Finite weights whose activations overflow float32 (issue 11, item 5): the correctness filter and the
// patching job stop with one line naming the pair, the metric and the first non-finite hook point, instead
// of writing NaN (or crashing later on a run.json that cannot hold NaN).
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tests.Model;

public class NonFiniteMetricTests
{
    private static readonly Gpt2Config Small = new() { NLayers = 2, NHeads = 2, DModel = 16, DMlp = 64, NCtx = 32, VocabSize = 50257 };

    // Layer 1's attention and MLP output biases at 3e38 each: both are finite, their sum in the residual stream is not.
    private static HookedTransformer OverflowingModel()
    {
        var weights = Gpt2Weights.Random(Small, seed: 4);
        weights.Span(weights.Layers[1].AttnOutBias).Fill(3e38f);
        weights.Span(weights.Layers[1].MlpOutBias).Fill(3e38f);
        return new HookedTransformer(weights);
    }

    private static readonly IoiPair Pair = new()
    {
        Clean = "When John and Mary went to the shops, Mary gave the bag to",
        Corrupt = "When John and Mary went to the shops, John gave the bag to",
        Answer = " John", Wrong = " Mary",
    };

    [Fact]
    public void FirstNonFiniteHookIsFoundInForwardOrder()
    {
        var model = OverflowingModel();
        var tokens = model.ToTokens(Pair.Clean);
        string? hook = NonFiniteMetric.FirstNonFiniteHook(model, tokens);
        Assert.NotNull(hook);
        Assert.StartsWith("blocks.1.", hook);
        Assert.Null(NonFiniteMetric.FirstNonFiniteHook(new HookedTransformer(Gpt2Weights.Random(Small, seed: 4)), tokens));
    }

    [Fact]
    public void CorrectnessFilterStopsNamingThePairAndHookPoint()
    {
        var model = OverflowingModel();
        var pairs = IoiJsonl.ToPairSet([Pair, Pair], "pairs").Tokenize(model, prependBos: true);
        var e = Assert.Throws<CircuitLensException>(() => CorrectnessFilter.Run(model, pairs, CorrectnessMode.Sign));
        Assert.Contains("clean logit difference of pair 1", e.Message);
        Assert.Contains("blocks.1.", e.Message);
    }

    [Fact]
    public void PatchingJobStopsBeforeSavingAChunk()
    {
        var model = OverflowingModel();
        var batch = new IoiTokenizedPairs(model, [Pair, Pair, Pair], prependBos: true).ToPatchingBatch();
        using var tmp = new IO.TempDir();
        var options = new PatchingJobOptions { Sweeps = [Sweep.HeadZ], ChunkSize = 2, CheckpointDir = tmp.File("chunks") };
        var e = Assert.Throws<CircuitLensException>(() => PatchingJob.Run(model, batch, options));
        Assert.Contains("logit difference of pair 1", e.Message);
        Assert.Contains("blocks.1.", e.Message);
        Assert.Empty(Directory.GetDirectories(tmp.File("chunks"), "chunk-*"));
    }
}
