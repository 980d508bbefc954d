// Every metric × engine × sweep: the fast exact engine gives the plain engine's numbers for prob-diff
// and logit-diff-to-max on every sweep (logit-diff: FastPatchingEquivalenceTests); attribution patching
// with each metric equals the plain first-order computation (full caches, a full backward pass seeded
// with the metric's gradient, FromCaches), and that seeded backward pass matches finite differences of
// the metric at hook points inside the model.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Patching.Metrics;

namespace CircuitLens.Tests.Patching;

public class MetricEngineTests
{
    private static readonly ForwardOptions NoLogits = new() { Logits = LogitsMode.None };

    // strong weights (attention far from uniform, so a patched key or value moves later positions measurably)
    private static readonly HookedTransformer SmallVocab = AttributionTestModels.Model(new Gpt2Config
    {
        NLayers = 3, NHeads = 4, DModel = 32, DMlp = 128, NCtx = 64, VocabSize = 300, ModelName = "tiny-300",
    }, seed: 7);

    private static PatchingMetric Metric(string name, int pairs) => name switch
    {
        "logit-diff" => new LogitDiffMetric([.. Enumerable.Range(0, pairs).Select(b => 1 + b)], [.. Enumerable.Range(0, pairs).Select(b => 11 + b)]),
        // answers: the 60 ids above a per-pair threshold, wrong: the 40 below it (greater-than's shape)
        "prob-diff" => new ProbDiffMetric(
            [.. Enumerable.Range(0, pairs).Select(b => Enumerable.Range(100 + 5 * b, 60).ToArray())],
            [.. Enumerable.Range(0, pairs).Select(b => Enumerable.Range(60 + 5 * b, 40).ToArray())]),
        _ => new LogitDiffToMaxMetric([.. Enumerable.Range(0, pairs).Select(b => 32 + b)],
            [.. Enumerable.Range(0, pairs).Select(_ => Enumerable.Range(32, 26).ToArray())]),
    };

    // mixed lengths; one pair identical, one differing at its first token
    private static PatchingBatch MixedBatch(string metric) => new(
        [[5, 6, 7, 8, 9, 10, 11], [20, 21, 22, 23], [40, 41, 42, 43, 44, 45, 46, 47, 48], [60, 61, 62], [70, 71, 72, 73, 74]],
        [[5, 6, 7, 99, 9, 10, 11], [20, 21, 22, 98], [40, 41, 42, 43, 44, 97, 46, 96, 48], [60, 61, 62], [95, 71, 72, 73, 74]],
        Metric(metric, 5));

    public static TheoryData<string, string> MetricsAndSweeps()
    {
        var data = new TheoryData<string, string>();
        foreach (var m in new[] { "prob-diff", "logit-diff-to-max" })
            foreach (var s in Sweep.All) data.Add(m, s.Name);
        return data;
    }

    [Theory, MemberData(nameof(MetricsAndSweeps))]
    public void FastEqualsPlain(string metric, string sweep)
    {
        var data = MixedBatch(metric);
        var s = Sweep.Parse(sweep)[0];
        var plain = ActivationPatching.Run(SmallVocab, data, s);
        var fast = FastActivationPatching.Run(SmallVocab, data, s, new FastPatchingOptions { MaxRowsPerRun = 16 });
        Assert.Equal(metric, fast.Metric);
        double scale = plain.CleanMetric.Concat(plain.CorruptMetric).Max(v => Math.Abs(v));
        TensorAssert.Close(plain.CleanMetric, fast.CleanMetric, "clean metric", 1e-5 * scale, 1e-3);
        TensorAssert.Close(plain.CorruptMetric, fast.CorruptMetric, "corrupt metric", 1e-5 * scale, 1e-3);
        TensorAssert.Close(plain.Patched, fast.Patched, sweep, 1e-5 * scale, 1e-3);
        // the identical pair: nothing changes
        foreach (float v in fast.Patched.Slice(3)) Assert.True(float.IsNaN(v) || v == fast.CorruptMetric[3]);
    }

    public static TheoryData<string> Names => new() { "logit-diff", "prob-diff", "logit-diff-to-max" };

    // the tiny model with strong weights and the full vocabulary (AttributionTestModels), padded pairs of mixed lengths
    private static PatchingBatch AttributionPairs(string metric) => new(
        [[5, 17, 42, 8, 66, 3, 29], [11, 60, 2, 37], [9, 9, 14, 70, 21, 30]],
        [[5, 17, 91, 8, 66, 3, 29], [11, 44, 2, 37], [13, 9, 14, 70, 12, 30]],
        Metric(metric, 3));

    [Theory, MemberData(nameof(Names))]
    public void AttributionRunEqualsTheFullFirstOrderComputation(string metric)
    {
        var model = AttributionTestModels.Shared();
        var cfg = model.Config;
        var data = AttributionPairs(metric);
        var sweeps = Sweep.All;
        var results = AttributionPatching.Run(model, data, sweeps, chunkSize: 2);

        var names = AttributionPatching.HookNamesFor(sweeps, cfg.NLayers);
        var (_, cleanCache) = model.RunWithCache(data.Clean, names.Contains, NoLogits);
        var (corruptRun, corruptCache) = model.RunWithCache(data.Corrupt, n => names.Contains(n) || Gpt2Backward.NeedsInCache(n, cfg.NLayers), NoLogits);
        var seed = data.Metric.FinalResidualGradient(model.Weights, corruptRun.Residual);
        var grads = Gpt2Backward.Gradients(model, data.Corrupt, corruptCache, seed, names.Contains);
        var (cleanM, corruptM) = ActivationPatching.Baselines(model, data);
        for (int s = 0; s < sweeps.Count; s++)
        {
            var got = results[s];
            Assert.Equal(metric, got.Metric);
            var want = AttributionPatching.FromCaches(cfg, sweeps[s], data.Corrupt, cleanCache, corruptCache, grads, corruptM);
            double scale = cleanM.Concat(corruptM).Max(v => Math.Abs(v));
            for (int b = 0; b < data.Count; b++)
            {
                Assert.Equal(cleanM[b], got.CleanMetric[b], 1e-4 * scale + 1e-3 * Math.Abs(cleanM[b]));
                Assert.Equal(corruptM[b], got.CorruptMetric[b], 1e-4 * scale + 1e-3 * Math.Abs(corruptM[b]));
            }
            int perPair = want.Length / data.Count;
            double effect = 0;
            for (int i = 0; i < want.Length; i++)
                if (!float.IsNaN(want.Data[i])) effect = Math.Max(effect, Math.Abs(want.Data[i] - corruptM[i / perPair]));
            Assert.True(effect > 1e-6 * Math.Max(scale, 1e-3), $"{sweeps[s].Name}: no attribution is non-zero; the check would be empty");
            for (int i = 0; i < want.Length; i++)
            {
                float w = want.Data[i], g = got.Patched.Data[i];
                if (float.IsNaN(w)) { Assert.True(float.IsNaN(g), $"{sweeps[s].Name}: entry {i} should be NaN, is {g}"); continue; }
                Assert.True(Math.Abs(w - g) <= 2e-3 * effect + 1e-4 * Math.Abs(w), $"{metric} {sweeps[s].Name}: entry {i}: {g} fast vs {w} plain (largest effect {effect:G3})");
            }
        }
    }

    [Theory, MemberData(nameof(Names))]
    public void SeededBackwardMatchesFiniteDifferencesOfTheMetric(string metric)
    {
        var model = AttributionTestModels.Shared();
        var cfg = model.Config;
        var batch = AttributionTestModels.PaddedPair();
        var m = Metric(metric, 2);
        var (run, cache) = model.RunWithCache(batch, null, NoLogits);
        var grads = Gpt2Backward.Gradients(model, batch, cache, m.FinalResidualGradient(model.Weights, run.Residual));
        var rng = new Random(17);
        foreach (var name in new[] { "blocks.0.hook_resid_pre", "blocks.1.attn.hook_z", "blocks.2.mlp.hook_post", "blocks.1.attn.hook_pattern" })
        {
            var g = grads[name];
            double errSq = 0, normSq = 0;
            for (int k = 0; k < 24; k++)
            {
                int i;
                do i = rng.Next(g.Length); while (g.Data[i] == 0f && rng.Next(4) > 0);
                const float eps = 1e-2f;
                double fd = (Value(model, batch, m, name, i, eps) - Value(model, batch, m, name, i, -eps)) / (2 * eps);
                errSq += (fd - g.Data[i]) * (fd - g.Data[i]);
                normSq += fd * fd;
            }
            Assert.True(normSq > 1e-14, $"{metric} {name}: the sampled coordinates have no effect; the check would be empty");
            Assert.True(Math.Sqrt(errSq / normSq) < 3e-2, $"{metric} {name}: finite differences disagree with the seeded backward pass (relative error {Math.Sqrt(errSq / normSq):G3})");
        }
    }

    // Σ_b metric_b with activation element i of hook `name` moved by delta
    private static double Value(HookedTransformer model, TokenBatch batch, PatchingMetric metric, string name, int i, float delta)
    {
        var hook = new NamedHook(name, (act, _) => act.Data[i] += delta);
        var resid = model.RunWithHooks(batch, [hook], NoLogits).Residual;
        return metric.FromFinalResidual(model.Weights, resid).Sum(v => (double)v);
    }

    [Theory]
    [InlineData("mlp-post-neuron")]
    [InlineData("head-z")]
    [InlineData("resid-mid")]
    public void ALayerSelectionGivesThoseLayersOfTheFullSweepInEveryEngine(string sweep)
    {
        var data = MixedBatch("logit-diff");
        var all = Sweep.Parse(sweep)[0];
        var some = all.WithLayers([2, 1]);
        Assert.Equal([1, 2], some.Layers);
        var cfg = SmallVocab.Config;
        var fullPlain = ActivationPatching.Run(SmallVocab, data, all);
        foreach (var result in new[] { ActivationPatching.Run(SmallVocab, data, some), FastActivationPatching.Run(SmallVocab, data, some) })
        {
            Assert.Equal(2, result.Patched.Dim(1));
            for (int b = 0; b < data.Count; b++)
                for (int li = 0; li < 2; li++)
                    TensorAssert.Close(fullPlain.Patched.Slice(b, li + 1), result.Patched.Slice(b, li), $"{sweep} pair {b} layer {li + 1}");
        }
        var attrAll = AttributionPatching.Run(SmallVocab, data, all);
        var attrSome = AttributionPatching.Run(SmallVocab, data, some);
        for (int b = 0; b < data.Count; b++)
            for (int li = 0; li < 2; li++)
                TensorAssert.Close(attrAll.Patched.Slice(b, li + 1), attrSome.Patched.Slice(b, li), $"attribution {sweep} pair {b} layer {li + 1}");
        Assert.StartsWith("L2", some.Label(some.Shape(cfg, 1, data.SeqLen)[1..], some.ComponentsPerLayer(cfg, data.SeqLen)));
    }

    [Fact]
    public void LayerSelectionsAreParsedAndChecked()
    {
        Assert.Equal([8, 9, 10, 11], Sweep.ParseLayers("8-11", 12));
        Assert.Equal([0, 3, 5, 6, 7], Sweep.ParseLayers("5-7, 0,3", 12));
        Assert.Null(Sweep.ParseLayers(null, 12));
        Assert.Contains("outside the model's layers", Assert.Throws<CircuitLensException>(() => Sweep.ParseLayers("10-12", 12)).Message);
        Assert.Contains("bad layer selection", Assert.Throws<CircuitLensException>(() => Sweep.ParseLayers("3-1", 12)).Message);
    }
}
