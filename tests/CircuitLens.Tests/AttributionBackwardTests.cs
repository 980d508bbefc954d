// Checks Gpt2Backward against central finite differences at every hook point, on a left-padded
// batch, and checks that padding does not change an example's gradients.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Tests;

public class AttributionBackwardTests
{
    private static readonly int[] Answers = [7, 50];
    private static readonly int[] Wrongs = [19, 88];
    private static readonly ForwardOptions NoLogits = new() { Logits = LogitsMode.None };

    // every hook point with the tanh GELU; the MLP's hook points again with the exact (erf) GELU
    [Theory]
    [InlineData("gelu_new", "")]
    [InlineData("gelu", "mlp.")]
    public void GradientsMatchFiniteDifferencesAtEveryHookPoint(string activation, string namesContaining)
    {
        var model = AttributionTestModels.Shared(activation);
        var cfg = model.Config;
        var batch = AttributionTestModels.PaddedPair();
        var (_, cache) = model.RunWithCache(batch, null, NoLogits);
        var grads = AttributionTestModels.LogitDiffGradients(model, batch, cache, Answers, Wrongs);
        var rng = new Random(3);

        // ln_final's hooks get no gradient: the pass starts below them, from the metric's gradient (MetricTests check that)
        foreach (var name in HookNames.All(cfg.NLayers).Where(n => n.Contains(namesContaining) && !n.StartsWith("ln_final", StringComparison.Ordinal)))
        {
            var g = grads[name];
            Assert.Equal(cache[name].Shape, g.Shape);
            var coords = PickCoordinates(g, rng);
            double errSq = 0, normSq = 0;
            foreach (int i in coords)
            {
                const float eps = 1e-2f;
                double fd = (LogitDiffSum(model, batch, name, i, eps) - LogitDiffSum(model, batch, name, i, -eps)) / (2 * eps);
                errSq += (fd - g.Data[i]) * (fd - g.Data[i]);
                normSq += (double)g.Data[i] * g.Data[i];
            }
            Assert.True(normSq > 1e-6, $"{name}: gradient is (near) zero at every sampled coordinate");
            double rel = Math.Sqrt(errSq / normSq);
            Assert.True(rel < 2e-2, $"{name}: finite differences disagree with the backward pass (relative error {rel:G3})");
        }
    }

    [Fact]
    public void TheSeedGradientEntersAtEachExamplesLastRowOnly()
    {
        var model = AttributionTestModels.Shared();
        var cfg = model.Config;
        var batch = AttributionTestModels.PaddedPair();
        var (_, cache) = model.RunWithCache(batch, name => Gpt2Backward.NeedsInCache(name, cfg.NLayers), NoLogits);
        int C = cfg.DModel, T = batch.SeqLen;
        var seed = new float[2 * C];
        var rng = new Random(9);
        for (int i = 0; i < seed.Length; i++) seed[i] = (float)(rng.NextDouble() - 0.5);
        var grads = Gpt2Backward.Gradients(model, batch, cache, seed, name => name == $"blocks.{cfg.NLayers - 1}.hook_resid_post");
        var final = grads[$"blocks.{cfg.NLayers - 1}.hook_resid_post"];
        for (int b = 0; b < 2; b++)
        {
            for (int t = 0; t < T - 1; t++) for (int c = 0; c < C; c++) Assert.Equal(0f, final[b, t, c]);
            for (int c = 0; c < C; c++) Assert.Equal(seed[b * C + c], final[b, T - 1, c]);
        }
    }

    [Fact]
    public void PaddedRowHasTheSameGradientsAsTheExampleAlone()
    {
        var model = AttributionTestModels.Shared();
        var cfg = model.Config;
        var batch = AttributionTestModels.PaddedPair();
        var single = TokenBatch.Single(batch.Row(1).ToArray());
        var (_, batchCache) = model.RunWithCache(batch, null, NoLogits);
        var (_, singleCache) = model.RunWithCache(single, null, NoLogits);
        var batchGrads = AttributionTestModels.LogitDiffGradients(model, batch, batchCache, Answers, Wrongs);
        var singleGrads = AttributionTestModels.LogitDiffGradients(model, single, singleCache, [Answers[1]], [Wrongs[1]]);
        int pad = batch.PadLeft(1), len = batch.Lengths[1], T = batch.SeqLen;

        foreach (var name in HookNames.All(cfg.NLayers).Where(n => !n.StartsWith("ln_final", StringComparison.Ordinal)))
        {
            var inBatch = batchGrads[name];
            var alone = singleGrads[name];
            if (HookNames.TryParse(name, cfg.NLayers, out var point, out _) && point is HookPoint.Pattern or HookPoint.AttnScores)
            {
                int H = cfg.NHeads;
                for (int h = 0; h < H; h++)
                    for (int i = 0; i < len; i++)
                        for (int j = 0; j < len; j++)
                            AssertClose(alone[0, h, i, j], inBatch[1, h, pad + i, pad + j], name);
                continue;
            }
            int inner = inBatch.Length / (inBatch.Dim(0) * T);
            var a = alone.Span;
            var b = inBatch.Slice(1);
            for (int t = 0; t < len; t++)
                for (int k = 0; k < inner; k++)
                    AssertClose(a[t * inner + k], b[(pad + t) * inner + k], name);
            // pads never reach a real token, so their gradient is exactly zero
            for (int k = 0; k < pad * inner; k++) Assert.Equal(0f, b[k]);
        }
    }

    [Fact]
    public void KeepsOnlyTheRequestedNames()
    {
        var model = AttributionTestModels.Shared();
        var cfg = model.Config;
        var batch = AttributionTestModels.PaddedPair();
        var (_, cache) = model.RunWithCache(batch, name => Gpt2Backward.NeedsInCache(name, cfg.NLayers), NoLogits);
        var grads = AttributionTestModels.LogitDiffGradients(model, batch, cache, Answers, Wrongs, name => name.EndsWith("hook_z"));
        Assert.Equal(cfg.NLayers, grads.Names.Count);
        Assert.True(grads.Contains("blocks.1.attn.hook_z"));
        Assert.False(grads.Contains("blocks.1.hook_resid_pre"));
    }

    [Fact]
    public void RejectsASeedGradientOfTheWrongShape()
    {
        var model = AttributionTestModels.Shared();
        var batch = AttributionTestModels.PaddedPair();
        var (_, cache) = model.RunWithCache(batch, null, NoLogits);
        Assert.Throws<ArgumentException>(() => Gpt2Backward.Gradients(model, batch, cache, new float[model.Config.DModel]));
    }

    private static void AssertClose(float expected, float actual, string name)
    {
        float tol = 1e-4f + 1e-3f * Math.Abs(expected);
        Assert.True(Math.Abs(expected - actual) <= tol, $"{name}: {actual} vs {expected} alone");
    }

    // the largest |gradient| entry, 3 large-gradient entries and 2 arbitrary entries
    private static List<int> PickCoordinates(Tensor g, Random rng)
    {
        var data = g.Data;
        int argmax = 0;
        for (int i = 1; i < data.Length; i++) if (Math.Abs(data[i]) > Math.Abs(data[argmax])) argmax = i;
        float max = Math.Abs(data[argmax]);
        var large = Enumerable.Range(0, data.Length).Where(i => Math.Abs(data[i]) > 0.1f * max).ToArray();
        var coords = new List<int> { argmax };
        for (int k = 0; k < 3 && large.Length > 0; k++) coords.Add(large[rng.Next(large.Length)]);
        for (int k = 0; k < 2; k++) coords.Add(rng.Next(data.Length));
        return coords;
    }

    // Σ_b LD_b with one activation coordinate shifted by delta
    private static double LogitDiffSum(HookedTransformer model, TokenBatch batch, string hookName, int index, float delta) =>
        AttributionTestModels.LogitDiffSum(model, batch, Answers, Wrongs, [new NamedHook(hookName, (act, _) => act.Data[index] += delta)]);
}
