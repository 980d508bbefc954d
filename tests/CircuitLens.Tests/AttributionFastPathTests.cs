// Checks the shortcuts of fast attribution patching against the plain computation on a padded batch of
// mixed lengths: a backward pass started at each example's first differing row gives the full pass's
// gradients from that row on (and zeros before it), and AttributionPatching.Run (clean run only from the
// first difference, no padding, chunks sorted by length) gives the maps of two full forward passes, a full
// backward pass and FromCaches.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Tests;

public class AttributionFastPathTests
{
    private static readonly ForwardOptions NoLogits = new() { Logits = LogitsMode.None };

    // lengths 7, 4, 6, 5: pair 0 differs at its 3rd token, pair 1 at its 2nd, pair 2 at its 1st, pair 3 nowhere
    private static PatchingBatch MixedPairs() => new(
        [[5, 17, 42, 8, 66, 3, 29], [11, 60, 2, 37], [9, 9, 14, 70, 21, 30], [4, 81, 23, 16, 55]],
        [[5, 17, 91, 8, 66, 3, 29], [11, 44, 2, 37], [13, 9, 14, 70, 12, 30], [4, 81, 23, 16, 55]],
        [7, 50, 3, 12], [19, 88, 4, 40]);

    [Fact]
    public void GradientsFromFirstRowsEqualTheFullPassThere()
    {
        var model = AttributionTestModels.Shared();
        var cfg = model.Config;
        var data = MixedPairs();
        var batch = data.Corrupt;
        int T = batch.SeqLen, H = cfg.NHeads;
        // the first difference where there is one; the pad row itself for pair 2; the last row for pair 3
        int[] first = [.. Enumerable.Range(0, data.Count).Select(b => Math.Min(batch.PadLeft(b) + data.FirstDifference[b], T - 1))];
        Assert.Equal(batch.PadLeft(2), first[2]);
        var (_, cache) = model.RunWithCache(batch, null, NoLogits);
        var full = AttributionTestModels.LogitDiffGradients(model, batch, cache, data.AnswerIds, data.WrongIds);
        var partial = AttributionTestModels.LogitDiffGradients(model, batch, cache, data.AnswerIds, data.WrongIds, firstRows: first);

        foreach (var name in HookNames.All(cfg.NLayers).Where(n => !n.StartsWith("ln_final", StringComparison.Ordinal)))
        {
            var want = full[name];
            var got = partial[name];
            Assert.Equal(want.Shape, got.Shape);
            bool perHead = HookNames.TryParse(name, cfg.NLayers, out var point, out _) && point is HookPoint.Pattern or HookPoint.AttnScores;
            double scale = want.Data.Max(v => Math.Abs(v));
            for (int b = 0; b < data.Count; b++)
                for (int t = 0; t < T; t++)
                {
                    var rows = perHead
                        ? Enumerable.Range(0, H).Select(h => (want.Slice(b, h, t).ToArray(), got.Slice(b, h, t).ToArray()))
                        : [(want.Slice(b, t).ToArray(), got.Slice(b, t).ToArray())];
                    foreach (var (w, g) in rows)
                        for (int i = 0; i < w.Length; i++)
                        {
                            if (t < first[b]) { Assert.True(g[i] == 0f, $"{name}: pair {b} row {t} is before its first row but has gradient {g[i]}"); continue; }
                            Assert.True(Math.Abs(w[i] - g[i]) <= 1e-5 * scale + 1e-4 * Math.Abs(w[i]),
                                $"{name}: pair {b} row {t} entry {i}: {g[i]} from the first row vs {w[i]} from the full pass");
                        }
                }
        }
        // the check would be empty if nothing had a gradient before the first rows
        Assert.Contains(full["blocks.0.hook_resid_pre"].Slice(0, first[0] - 1).ToArray(), v => v != 0f);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(2)]
    public void RunEqualsTheFullComputation(int chunkSize)
    {
        var model = AttributionTestModels.Shared();
        var cfg = model.Config;
        var data = MixedPairs();
        var sweeps = Sweep.All;
        var results = AttributionPatching.Run(model, data, sweeps, chunkSize);

        // the plain way: two full cached forward passes, a full backward pass, FromCaches
        var names = AttributionPatching.HookNamesFor(sweeps, cfg.NLayers);
        var (_, cleanCache) = model.RunWithCache(data.Clean, names.Contains, NoLogits);
        var (_, corruptCache) = model.RunWithCache(data.Corrupt, n => names.Contains(n) || Gpt2Backward.NeedsInCache(n, cfg.NLayers), NoLogits);
        var grads = AttributionTestModels.LogitDiffGradients(model, data.Corrupt, corruptCache, data.AnswerIds, data.WrongIds, names.Contains);
        var (cleanLd, corruptLd) = ActivationPatching.Baselines(model, data);

        for (int s = 0; s < sweeps.Count; s++)
        {
            var got = results[s];
            var want = AttributionPatching.FromCaches(cfg, sweeps[s], data.Corrupt, cleanCache, corruptCache, grads, corruptLd);
            Assert.Equal(want.Shape, got.Patched.Shape);
            for (int b = 0; b < data.Count; b++)
            {
                Assert.Equal(cleanLd[b], got.CleanMetric[b], 3);
                Assert.Equal(corruptLd[b], got.CorruptMetric[b], 3);
            }
            int perPair = want.Length / data.Count;
            double effect = 0;
            for (int i = 0; i < want.Length; i++)
                if (!float.IsNaN(want.Data[i])) effect = Math.Max(effect, Math.Abs(want.Data[i] - corruptLd[i / perPair]));
            Assert.True(effect > 1e-3, $"{sweeps[s].Name}: no attribution is non-zero; the check would be empty");
            for (int i = 0; i < want.Length; i++)
            {
                float w = want.Data[i], g = got.Patched.Data[i];
                if (float.IsNaN(w)) { Assert.True(float.IsNaN(g), $"{sweeps[s].Name}: entry {i} should be NaN (past the pair's end), is {g}"); continue; }
                Assert.True(Math.Abs(w - g) <= 1e-3 * effect + 1e-4 * Math.Abs(w), $"{sweeps[s].Name}: entry {i}: {g} fast vs {w} plain (largest effect {effect:G3})");
            }
            // the pair without a difference: every estimate is its corrupted LD
            var same = got.Patched.Slice(3);
            foreach (float v in same) Assert.True(float.IsNaN(v) || Math.Abs(v - got.CorruptMetric[3]) <= 1e-3 * effect, $"{sweeps[s].Name}: identical prompts give {v}");
        }
    }
}
