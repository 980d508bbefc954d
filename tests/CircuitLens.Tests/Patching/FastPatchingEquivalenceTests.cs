// The fast engine must give the plain engine's numbers on random models, mixed-length padded batches,
// every sweep including head-z-by-pos, and with BOS prepended.
using CircuitLens.Model;
using CircuitLens.Patching;

namespace CircuitLens.Tests.Patching;

public class FastPatchingEquivalenceTests
{
    private static readonly HookedTransformer Model = new(Gpt2Weights.Random(new Gpt2Config
    {
        NLayers = 3, NHeads = 4, DModel = 32, DMlp = 128, NCtx = 64, VocabSize = 300,
    }, seed: 7));

    // pairs of different lengths; corruptions at different places (one pair identical, one differing at the first token)
    private static PatchingBatch MixedBatch(bool bos)
    {
        int[] P(params int[] ids) => bos ? [299, .. ids] : ids;
        var clean = new List<int[]> { P(5, 6, 7, 8, 9, 10, 11), P(20, 21, 22, 23), P(40, 41, 42, 43, 44, 45, 46, 47, 48), P(60, 61, 62), P(70, 71, 72, 73, 74) };
        var corrupt = new List<int[]> { P(5, 6, 7, 99, 9, 10, 11), P(20, 21, 22, 98), P(40, 41, 42, 43, 44, 97, 46, 96, 48), P(60, 61, 62), P(95, 71, 72, 73, 74) };
        return new PatchingBatch(clean, corrupt, [1, 2, 3, 4, 5], [11, 12, 13, 14, 15]);
    }

    [Theory]
    [InlineData("head-z", false)] [InlineData("head-q", false)] [InlineData("head-k", false)] [InlineData("head-v", false)]
    [InlineData("head-pattern", false)] [InlineData("resid-pre", false)] [InlineData("attn-out", false)] [InlineData("mlp-out", false)]
    [InlineData("head-z-by-pos", false)] [InlineData("head-z", true)] [InlineData("resid-pre", true)]
    [InlineData("resid-mid", false)] [InlineData("head-q-by-pos", false)] [InlineData("head-k-by-pos", false)] [InlineData("head-v-by-pos", false)]
    [InlineData("head-pattern-by-pos", false)] [InlineData("mlp-post-neuron", false)] [InlineData("head-k-by-pos", true)] [InlineData("mlp-post-neuron", true)]
    public void FastEqualsPlain(string sweep, bool bos)
    {
        var data = MixedBatch(bos);
        var s = Sweep.Parse(sweep)[0];
        var plain = ActivationPatching.Run(Model, data, s);
        var fast = FastActivationPatching.Run(Model, data, s, new FastPatchingOptions { MaxRowsPerRun = 16 });
        TensorAssert.Close(plain.Patched, fast.Patched, sweep);
        TensorAssert.Close(plain.CleanMetric, fast.CleanMetric, "clean logit diff");
    }

    [Fact]
    public void PaddedBatchEqualsOnePairAtATime()
    {
        var data = MixedBatch(bos: false);
        var batched = FastActivationPatching.RunMany(Model, data, [Sweep.HeadZ, Sweep.AttnOut]);
        for (int b = 0; b < data.Count; b++)
        {
            var alone = FastActivationPatching.RunMany(Model, data.Slice(b, 1), [Sweep.HeadZ, Sweep.AttnOut]);
            TensorAssert.Close(alone[0].Patched.Data, batched[0].Patched.Slice(b), $"head-z pair {b}");
            int len = data.Length(b), T = data.SeqLen;
            for (int l = 0; l < 3; l++)
            {
                TensorAssert.Close(alone[1].Patched.Slice(0, l), batched[1].Patched.Slice(b, l)[..len], $"attn-out pair {b} layer {l}");
                for (int p = len; p < T; p++) Assert.True(float.IsNaN(batched[1].Patched[b, l, p]));
            }
        }
    }

    [Fact]
    public void IdenticalPairChangesNothing()
    {
        var data = MixedBatch(bos: false);
        var result = FastActivationPatching.Run(Model, data, Sweep.HeadZ);
        for (int l = 0; l < 3; l++)
            for (int h = 0; h < 4; h++)
                Assert.Equal(result.CorruptMetric[3], result.Patched[3, l, h]);
    }

    [Fact]
    public void UnequalPairLengthsAreAClearError()
    {
        var e = Assert.Throws<CircuitLensException>(() => new PatchingBatch([[1, 2, 3]], [[1, 2]], [1], [2]));
        Assert.Contains("pair 0", e.Message);
    }
}
