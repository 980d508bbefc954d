// A timing check, not a timing assertion: attribution patching for 100 IOI-sized pairs on GPT-2-small
// shapes (random weights). Skipped unless CIRCUITLENS_SLOW=1; run it in Release:
//   CIRCUITLENS_SLOW=1 dotnet test -c Release --filter "FullyQualifiedName~AttributionTimingTests" --logger "console;verbosity=detailed"
using System.Diagnostics;
using CircuitLens.Model;
using CircuitLens.Patching;
using Xunit.Abstractions;

namespace CircuitLens.Tests;

/// <summary>A fact that runs only when CIRCUITLENS_SLOW=1.</summary>
public sealed class SlowAttributionFactAttribute : FactAttribute
{
    public SlowAttributionFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CIRCUITLENS_SLOW") != "1") Skip = "slow timing check; set CIRCUITLENS_SLOW=1 to run";
    }
}

[Trait("Category", "Slow")]
public class AttributionTimingTests(ITestOutputHelper output)
{
    [SlowAttributionFact]
    public void Gpt2SmallShapes100PairsOf18Tokens()
    {
        var sw = Stopwatch.StartNew();
        var model = new HookedTransformer(Gpt2Weights.Random(Gpt2Config.Gpt2Small, 0));
        output.WriteLine($"random GPT-2-small weights: {sw.ElapsedMilliseconds} ms");
        var rng = new Random(1);
        var clean = new List<int[]>(); var corrupt = new List<int[]>();
        for (int i = 0; i < 100; i++)
        {
            var c = Enumerable.Range(0, 18).Select(_ => rng.Next(50000)).ToArray();
            var x = (int[])c.Clone();
            x[5] = rng.Next(50000); x[11] = rng.Next(50000);
            clean.Add(c); corrupt.Add(x);
        }
        var data = new PatchingBatch(clean, corrupt, Enumerable.Range(0, 100).Select(_ => rng.Next(50000)).ToArray(),
            Enumerable.Range(0, 100).Select(_ => rng.Next(50000)).ToArray());
        AttributionPatching.Run(model, data.Slice(0, 4), Sweep.All); // warm-up (JIT)

        sw.Restart();
        model.Forward(data.Clean, LogitsMode.LastPosition);
        model.Forward(data.Corrupt, LogitsMode.LastPosition);
        output.WriteLine($"2 plain forward passes, 100×18 tokens: {sw.ElapsedMilliseconds} ms");
        var needed = AttributionPatching.HookNamesFor(Sweep.All, model.Config.NLayers);
        sw.Restart();
        var (_, cache) = model.RunWithCache(data.Corrupt, n => needed.Contains(n) || Gpt2Backward.NeedsInCache(n, model.Config.NLayers),
            new ForwardOptions { Logits = LogitsMode.LastPosition });
        output.WriteLine($"1 forward pass caching what the backward pass and the sweeps need: {sw.ElapsedMilliseconds} ms");
        sw.Restart();
        AttributionTestModels.LogitDiffGradients(model, data.Corrupt, cache, data.AnswerIds, data.WrongIds, needed.Contains);
        output.WriteLine($"1 backward pass keeping the sweeps' gradients: {sw.ElapsedMilliseconds} ms");
        cache = null;
        foreach (int chunk in new[] { 100, 50 })
        {
            sw.Restart();
            var results = AttributionPatching.Run(model, data, Sweep.All, chunkSize: chunk);
            output.WriteLine($"attribution, all 9 sweeps, chunks of {chunk}: {sw.ElapsedMilliseconds} ms ({Environment.ProcessorCount} cores)");
            Assert.All(results, r => Assert.DoesNotContain(r.Patched.Data, v => float.IsInfinity(v)));
        }
    }
}
