// MLP neurons as patching components: attribution patching over every neuron of mlp.hook_post in the
// chosen layers (the engines' mlp-post-neuron sweep), then the strongest few of each layer re-measured
// exactly: one hooked corrupted run per neuron with that neuron's clean activation at every position,
// scored with the batch's own metric. Scores are normalised in the batch-mean form
// ((mean patched − mean corrupted) / (mean clean − mean corrupted)), leaving out degenerate pairs as the engines do.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Experiments;

public sealed record NeuronScore(int Layer, int Neuron, float Attribution, float Exact);

public static class NeuronPatching
{
    /// <summary>
    /// Attribution scores of every neuron of <paramref name="layers"/> (the mlp-post-neuron sweep), then the
    /// <paramref name="perLayer"/> neurons of each layer with the largest |attribution| re-measured exactly; strongest first per layer.
    /// </summary>
    public static IReadOnlyList<NeuronScore> AttributeAndRemeasure(HookedTransformer model, PatchingBatch data, IReadOnlyList<int> layers, int perLayer,
        CancellationToken ct = default)
    {
        var sweep = Sweep.MlpPostNeuron.WithLayers(layers);
        var attribution = AttributionPatching.Run(model, data, [sweep])[0].NormalizedMean();   // [layers, d_mlp]
        var chosen = new List<(int Layer, int Neuron, float Attribution)>();
        var sweepLayers = sweep.LayerList(model.Config);
        for (int li = 0; li < sweepLayers.Count; li++)
        {
            int D = attribution.Dim(1);
            chosen.AddRange(Enumerable.Range(0, D).Select(n => (sweepLayers[li], n, attribution[li, n]))
                .Where(c => !float.IsNaN(c.Item3)).OrderByDescending(c => Math.Abs(c.Item3)).Take(perLayer));
        }
        var exact = Exact(model, data, chosen.Select(c => (c.Layer, c.Neuron)).ToList(), ct);
        return chosen.Select((c, i) => new NeuronScore(c.Layer, c.Neuron, c.Attribution, exact[i])).ToList();
    }

    /// <summary>Exact normalised score of each (layer, neuron): the corrupted batch with that neuron's clean activation patched in at every position.</summary>
    public static float[] Exact(HookedTransformer model, PatchingBatch data, IReadOnlyList<(int Layer, int Neuron)> neurons, CancellationToken ct = default)
    {
        var layers = neurons.Select(n => n.Layer).ToHashSet();
        var (cleanRun, cache) = model.RunWithCache(data.Clean, name => HookNames.TryParse(name, model.Config.NLayers, out var p, out int l) && p == HookPoint.MlpPost && layers.Contains(l),
            new ForwardOptions { Logits = LogitsMode.LastPosition });
        float[] clean = data.Metric.FromLogits(cleanRun.Logits!);
        float[] corrupt = data.Metric.FromLogits(model.Forward(data.Corrupt, LogitsMode.LastPosition));
        // the engines' normalisation: pairs whose clean and corrupted metric (nearly) agree are left out
        var used = Enumerable.Range(0, data.Count).Where(b => !PatchingResult.IsDegenerate(clean[b], corrupt[b])).ToArray();
        double cleanMean = used.Length == 0 ? double.NaN : used.Average(b => clean[b]), corruptMean = used.Length == 0 ? double.NaN : used.Average(b => corrupt[b]);
        var scores = new float[neurons.Count];
        for (int i = 0; i < neurons.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var (layer, neuron) = neurons[i];
            var cleanPost = cache[HookPoint.MlpPost, layer];
            var hook = new NamedHook(HookNames.Name(HookPoint.MlpPost, layer), (act, _) =>
            {
                // (B,T,d_mlp): clean and corrupted rows have the same lengths, so the same padding
                int rows = act.Dim(0) * act.Dim(1), D = act.Dim(2);
                for (int r = 0; r < rows; r++) act.Data[r * D + neuron] = cleanPost.Data[r * D + neuron];
            });
            var logits = model.RunWithHooks(data.Corrupt, [hook], new ForwardOptions { Logits = LogitsMode.LastPosition }).Logits!;
            var patched = data.Metric.FromLogits(logits);
            scores[i] = used.Length == 0 ? float.NaN : (float)((used.Average(b => patched[b]) - corruptMean) / (cleanMean - corruptMean));
        }
        return scores;
    }
}
