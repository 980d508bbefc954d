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

    public static PatchingResult Run(HookedTransformer model, PatchingBatch data, Sweep sweep,
        IProgress<PatchingProgress>? progress = null, CancellationToken ct = default)
    {
        var cfg = model.Config;
        int B = data.Count, L = cfg.NLayers, H = cfg.NHeads, T = data.SeqLen;
        var (cleanLd, corruptLd) = Baselines(model, data);
        var (_, cleanCache) = model.RunWithCache(data.Clean, name => HookNames.TryParse(name, L, out var p, out _) && p == sweep.Point,
            new ForwardOptions { Logits = LogitsMode.None });

        int[] shape = sweep.Axes switch
        {
            SweepAxes.LayerHead => [B, L, H],
            SweepAxes.LayerPos => [B, L, T],
            _ => [B, L, T, H],
        };
        var patched = Tensor.Zeros(shape);
        int positions = sweep.PerPosition ? T : 1, heads = sweep.PerHead ? H : 1;
        long total = (long)L * positions * heads, done = 0;
        for (int layer = 0; layer < L; layer++)
        {
            var clean = cleanCache[sweep.Point, layer];
            for (int pos = 0; pos < positions; pos++)
            {
                for (int head = 0; head < heads; head++)
                {
                    ct.ThrowIfCancellationRequested();
                    int p = sweep.PerPosition ? pos : -1, h = sweep.PerHead ? head : -1;
                    var hook = new NamedHook(HookNames.Name(sweep.Point, layer), (act, _) => CopyComponent(act, clean, sweep.Point, data, p, h));
                    var logits = model.Run(data.Corrupt, new ForwardOptions { Logits = LogitsMode.LastPosition }, [hook]).Logits!;
                    var ld = data.Metric.FromLogits(logits);
                    for (int b = 0; b < B; b++)
                    {
                        bool exists = p < 0 || p < data.Length(b);
                        float value = exists ? ld[b] : float.NaN;
                        switch (sweep.Axes)
                        {
                            case SweepAxes.LayerHead: patched[b, layer, h] = value; break;
                            case SweepAxes.LayerPos: patched[b, layer, p] = value; break;
                            default: patched[b, layer, p, h] = value; break;
                        }
                    }
                    progress?.Report(new PatchingProgress(sweep.Name, ++done, total));
                }
            }
        }
        return new PatchingResult(sweep, patched, cleanLd, corruptLd, data.Metric.Name);
    }

    // Overwrites, for every example, the component (head h and/or real position p; -1 = all) with the clean value.
    private static void CopyComponent(Tensor act, Tensor clean, HookPoint point, PatchingBatch data, int p, int h)
    {
        int B = act.Dim(0), T = data.SeqLen;
        for (int b = 0; b < B; b++)
        {
            if (p >= data.Length(b)) continue;
            int pad = data.PadLeft(b);
            if (point == HookPoint.Pattern)
            {
                // (B,NH,T,T): head h's whole pattern
                clean.Slice(b, h).CopyTo(act.Slice(b, h));
                continue;
            }
            int tFrom = p < 0 ? pad : pad + p, tTo = p < 0 ? T : pad + p + 1;
            for (int t = tFrom; t < tTo; t++)
            {
                if (h < 0) clean.Slice(b, t).CopyTo(act.Slice(b, t));           // (B,T,C) at position t
                else clean.Slice(b, t, h).CopyTo(act.Slice(b, t, h));           // (B,T,NH,HS) head h at t
            }
        }
    }
}
