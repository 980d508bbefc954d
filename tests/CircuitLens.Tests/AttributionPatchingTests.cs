// Checks attribution patching against exact patching where the linear approximation must hold (a
// clean run a small step away from the corrupted one), and that padding and chunking do not change it.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Tests;

public class AttributionPatchingTests
{
    private static readonly int[] Answers = [7, 50];
    private static readonly int[] Wrongs = [19, 88];
    private static readonly ForwardOptions NoLogits = new() { Logits = LogitsMode.None };

    // For clean' = corrupt + s·(clean − corrupt), exact patching of clean' changes LD by s·attribution + O(s²).
    [Theory]
    [InlineData("head-z")]
    [InlineData("head-q")]
    [InlineData("head-k")]
    [InlineData("head-v")]
    [InlineData("head-pattern")]
    [InlineData("resid-pre")]
    [InlineData("attn-out")]
    [InlineData("mlp-out")]
    [InlineData("head-z-by-pos")]
    [InlineData("resid-mid")]
    [InlineData("head-q-by-pos")]
    [InlineData("head-k-by-pos")]
    [InlineData("head-v-by-pos")]
    [InlineData("head-pattern-by-pos")]
    [InlineData("mlp-post-neuron")]
    public void MatchesExactPatchingForASmallStep(string sweepName)
    {
        const float step = 0.02f;
        var sweep = Sweep.Parse(sweepName)[0];
        var model = AttributionTestModels.Shared();
        var cfg = model.Config;
        var corrupt = AttributionTestModels.PaddedPair();
        var clean = TokenBatch.FromSequences([[5, 17, 91, 8, 66, 3, 29], [11, 60, 2, 37]]); // clean differs at one token of pair 0 only
        var names = AttributionPatching.HookNamesFor([sweep], cfg.NLayers);
        var (_, cleanCache) = model.RunWithCache(clean, names.Contains, NoLogits);
        var (_, corruptCache) = model.RunWithCache(corrupt, n => names.Contains(n) || Gpt2Backward.NeedsInCache(n, cfg.NLayers), NoLogits);
        // pair 1 gets its own difference: a random direction, so both examples move
        var rng = new Random(5);
        var stepped = new ActivationCache();
        foreach (var name in names)
        {
            var c = cleanCache[name].Clone();
            var x = corruptCache[name];
            for (int i = 0; i < c.Length; i++)
            {
                float diff = c.Data[i] - x.Data[i];
                if (!IsPairZero(name, c, i)) diff = (float)(rng.NextDouble() - 0.5) * (Math.Abs(x.Data[i]) + 0.1f);
                c.Data[i] = x.Data[i] + step * diff;
            }
            stepped.Set(name, c);
        }
        var corruptLd = AttributionTestModels.LogitDiffs(model, corrupt, Answers, Wrongs, []).Select(v => (float)v).ToArray();
        var grads = AttributionTestModels.LogitDiffGradients(model, corrupt, corruptCache, Answers, Wrongs, names.Contains);
        var estimate = AttributionPatching.FromCaches(cfg, sweep, corrupt, stepped, corruptCache, grads, corruptLd);

        int perLayer = sweep.ComponentsPerLayer(cfg, corrupt.SeqLen);
        double errSq = 0, effectSq = 0;
        for (int l = 0; l < cfg.NLayers; l++)
            for (int i = 0; i < perLayer; i++)
            {
                var comp = sweep.Component(l, i, cfg);
                var source = stepped[HookNames.Name(sweep.Point, l)];
                var hook = new NamedHook(HookNames.Name(sweep.Point, l), (act, ctx) => CopyComponent(act, source, sweep.Point, ctx.Batch, comp));
                var exact = AttributionTestModels.LogitDiffs(model, corrupt, Answers, Wrongs, [hook]);
                for (int b = 0; b < 2; b++)
                {
                    float est = estimate.Data[sweep.Offset(estimate.Shape, b, comp)];
                    if (comp.Position >= corrupt.Lengths[b]) { Assert.True(float.IsNaN(est), $"{sweepName}: position {comp.Position} of pair {b} is past its end but not NaN"); continue; }
                    errSq += (est - exact[b]) * (est - exact[b]);
                    effectSq += (exact[b] - corruptLd[b]) * (exact[b] - corruptLd[b]);
                }
            }
        Assert.True(effectSq > 1e-8, $"{sweepName}: the patches have no effect; the check would be empty");
        double rel = Math.Sqrt(errSq / effectSq);
        Assert.True(rel < 0.1, $"{sweepName}: attribution misses exact patching by {rel:P1} of the patch effects");
    }

    [Fact]
    public void PaddedChunkedBatchEqualsOnePairAtATime()
    {
        var model = AttributionTestModels.Shared();
        int[][] clean = [[5, 17, 42, 8, 66, 3, 29], [11, 60, 2, 37], [9, 9, 14, 70, 21, 30]];
        int[][] corrupt = [[5, 17, 91, 8, 66, 3, 29], [11, 44, 2, 37], [9, 9, 14, 70, 12, 30]];
        int[] answers = [7, 50, 3], wrongs = [19, 88, 4];
        var data = new PatchingBatch(clean, corrupt, answers, wrongs);
        var together = AttributionPatching.Run(model, data, Sweep.All, chunkSize: 2);
        for (int b = 0; b < 3; b++)
        {
            var alone = AttributionPatching.Run(model, data.Slice(b, 1), Sweep.All);
            for (int s = 0; s < Sweep.All.Count; s++)
            {
                Assert.Equal(alone[s].CleanMetric[0], together[s].CleanMetric[b], 4);
                Assert.Equal(alone[s].CorruptMetric[0], together[s].CorruptMetric[b], 4);
                var a = alone[s].Patched.Slice(0);
                var t = together[s].Patched.Slice(b);
                int perLayerAlone = a.Length / model.Config.NLayers, perLayerTogether = t.Length / model.Config.NLayers;
                for (int l = 0; l < model.Config.NLayers; l++)
                    for (int i = 0; i < perLayerTogether; i++)
                    {
                        float got = t[l * perLayerTogether + i];
                        if (i >= perLayerAlone) { Assert.True(float.IsNaN(got), $"{Sweep.All[s].Name}: pair {b} past its end is {got}"); continue; }
                        float want = a[l * perLayerAlone + i];
                        Assert.True(Math.Abs(want - got) <= 1e-4f + 1e-4f * Math.Abs(want), $"{Sweep.All[s].Name}: pair {b} layer {l} entry {i}: {got} in the batch vs {want} alone");
                    }
            }
        }
    }

    [Fact]
    public void BaselinesMatchTheModelsLogitDifferences()
    {
        var model = AttributionTestModels.Shared();
        var data = new PatchingBatch([[5, 17, 42, 8], [11, 60, 2]], [[5, 17, 91, 8], [11, 44, 2]], [7, 50], [19, 88]);
        var result = AttributionPatching.Run(model, data, Sweep.HeadZ);
        var (clean, corrupt) = ActivationPatching.Baselines(model, data);
        for (int b = 0; b < 2; b++)
        {
            Assert.Equal(clean[b], result.CleanMetric[b], 4);
            Assert.Equal(corrupt[b], result.CorruptMetric[b], 4);
        }
        Assert.Equal([2, model.Config.NLayers, model.Config.NHeads], result.Patched.Shape);
    }

    // true where pair 0 owns element i (pair 0's real difference is kept; pair 1 gets a random one)
    private static bool IsPairZero(string name, Tensor t, int i) => i < t.Length / t.Dim(0);

    // overwrites one component of act (every example) with source: a head at every position, a position, both, or a neuron
    private static void CopyComponent(Tensor act, Tensor source, HookPoint point, TokenBatch batch, SweepComponent c)
    {
        int B = act.Dim(0);
        for (int b = 0; b < B; b++)
        {
            int pad = batch.PadLeft(b);
            if (point == HookPoint.Pattern)
            {
                if (c.Position < 0) source.Slice(b, c.Head).CopyTo(act.Slice(b, c.Head));
                else if (pad + c.Position < batch.SeqLen) source.Slice(b, c.Head, pad + c.Position).CopyTo(act.Slice(b, c.Head, pad + c.Position));
                continue;
            }
            int T = act.Dim(1);
            for (int t = pad; t < T; t++)
            {
                if (c.Position >= 0 && t != pad + c.Position) continue;
                if (c.Neuron >= 0) act[b, t, c.Neuron] = source[b, t, c.Neuron];
                else if (c.Head >= 0) source.Slice(b, t, c.Head).CopyTo(act.Slice(b, t, c.Head));
                else source.Slice(b, t).CopyTo(act.Slice(b, t));
            }
        }
    }
}
