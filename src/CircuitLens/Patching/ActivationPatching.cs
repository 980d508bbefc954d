// The plain activation-patching engine, TransformerLens style (generic_activation_patch): for every
// component, one hooked forward pass of the whole corrupted batch in which that component's
// activation is overwritten by its value from each example's own clean run. Simple and obviously
// right; it is the reference the fast engine (FastActivationPatching) is tested against.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Patching;

public static class ActivationPatching
{
    /// <summary>The metric on the clean and on the corrupted prompts (one forward each, last position only).</summary>
    public static (float[] Clean, float[] Corrupt) Baselines(HookedTransformer model, PatchingBatch data)
    {
        data.Metric.Targets.CheckVocabulary(model.Config.VocabSize);
        var clean = model.Forward(data.Clean, LogitsMode.LastPosition);
        var corrupt = model.Forward(data.Corrupt, LogitsMode.LastPosition);
        return (data.Metric.FromLogits(clean), data.Metric.FromLogits(corrupt));
    }

    /// <summary>The plain engine runs every sweep (it patches through hooks).</summary>
    public static bool Supports(Sweep sweep) => true;

    public static PatchingResult Run(HookedTransformer model, PatchingBatch data, Sweep sweep,
        IProgress<PatchingProgress>? progress = null, CancellationToken ct = default)
    {
        var cfg = model.Config;
        int B = data.Count, T = data.SeqLen;
        var (cleanLd, corruptLd) = Baselines(model, data);
        var layers = sweep.LayerList(cfg);
        var (_, cleanCache) = model.RunWithCache(data.Clean,
            name => HookNames.TryParse(name, cfg.NLayers, out var p, out int l) && p == sweep.Point && layers.Contains(l),
            new ForwardOptions { Logits = LogitsMode.None });

        var shape = sweep.Shape(cfg, B, T);
        var patched = Tensor.Zeros(shape);
        int perLayer = sweep.ComponentsPerLayer(cfg, T);
        long total = (long)layers.Count * perLayer, done = 0;
        foreach (int layer in layers)
        {
            var clean = cleanCache[sweep.Point, layer];
            for (int i = 0; i < perLayer; i++)
            {
                ct.ThrowIfCancellationRequested();
                var c = sweep.Component(layer, i, cfg);
                var hook = new NamedHook(HookNames.Name(sweep.Point, layer), (act, _) => CopyComponent(act, clean, sweep.Point, data, c));
                var logits = model.Run(data.Corrupt, new ForwardOptions { Logits = LogitsMode.LastPosition }, [hook]).Logits!;
                var value = data.Metric.FromLogits(logits);
                for (int b = 0; b < B; b++)
                    patched.Data[sweep.Offset(shape, b, c)] = c.Position < data.Length(b) ? value[b] : float.NaN;
                progress?.Report(new PatchingProgress(sweep.Name, ++done, total));
            }
        }
        return new PatchingResult(sweep, patched, cleanLd, corruptLd, data.Metric.Name);
    }

    // Overwrites, for every example, the component (head, real position, neuron; -1 = all) with the clean value.
    private static void CopyComponent(Tensor act, Tensor clean, HookPoint point, PatchingBatch data, SweepComponent c)
    {
        int B = act.Dim(0), T = data.SeqLen;
        int p = c.Position, h = c.Head;
        for (int b = 0; b < B; b++)
        {
            if (p >= data.Length(b)) continue;
            int pad = data.PadLeft(b);
            if (point == HookPoint.Pattern)
            {
                // (B,NH,T,T): head h's whole pattern, or its row for destination position p
                if (p < 0) clean.Slice(b, h).CopyTo(act.Slice(b, h));
                else clean.Slice(b, h, pad + p).CopyTo(act.Slice(b, h, pad + p));
                continue;
            }
            int tFrom = p < 0 ? pad : pad + p, tTo = p < 0 ? T : pad + p + 1;
            for (int t = tFrom; t < tTo; t++)
            {
                if (c.Neuron >= 0) act[b, t, c.Neuron] = clean[b, t, c.Neuron];   // (B,T,d_mlp) one neuron at t
                else if (h < 0) clean.Slice(b, t).CopyTo(act.Slice(b, t));        // (B,T,C) at position t
                else clean.Slice(b, t, h).CopyTo(act.Slice(b, t, h));             // (B,T,NH,HS) head h at t
            }
        }
    }
}
