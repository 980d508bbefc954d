// The head-z activation-patching sweep done the TransformerLens way (patching.get_act_patch_attn_head_out_all_pos):
// one run_with_cache of the clean prompts for every layer's hook_z, then, for each (layer, head), one full hooked
// forward of the corrupted prompts whose hook overwrites that head's z at every position with the clean value
// (`z[:, :, head] = clean_z[:, :, head]`), and the logit difference at the last position. Used on the whole batch
// or one pair at a time; only the hooked forwards are timed (the clean cache is paid once per sweep).
using System.Diagnostics;
using CircuitLens.Hooks;
using CircuitLens.Patching;
using TorchSharp;
using static TorchSharp.torch;

namespace CircuitLens.Bench.Torch;

/// <summary>Patched logit differences [pair, component] of the first components in sweep order (layer-major), and the time of their hooked forwards.</summary>
public sealed record TorchPatchRun(float[,] Patched, float[] CleanMetric, float[] CorruptMetric, double Seconds);

public static class TorchHeadZPatching
{
    /// <param name="allPositionLogits">Unembed every position, as TransformerLens' run_with_hooks does by default, and read the last; else only the last (as CircuitLens' plain engine does).</param>
    public static TorchPatchRun Run(TorchGpt2 model, PatchingBatch data, int components, bool allPositionLogits = false)
    {
        int H = model.Config.NHeads, B = data.Count;
        int layers = (components + H - 1) / H;
        var answer = tensor(data.AnswerIds.Select(i => (long)i).ToArray(), [B, 1], ScalarType.Int64).to(model.Device);
        var wrong = tensor(data.WrongIds.Select(i => (long)i).ToArray(), [B, 1], ScalarType.Int64).to(model.Device);
        float[] LogitDiff(Tensor logits)
        {
            using var scope = NewDisposeScope();
            if (logits.dim() == 3) logits = logits.select(1, logits.shape[1] - 1);
            return (logits.gather(1, answer) - logits.gather(1, wrong)).squeeze(1).cpu().data<float>().ToArray();
        }

        // run_with_cache(clean, names_filter = hook_z of the layers swept)
        var cleanZ = new Tensor[layers];
        var cache = new Dictionary<string, TorchHook>();
        for (int l = 0; l < layers; l++)
        {
            int layer = l;
            cache[HookNames.AttnZ(layer)] = z => { cleanZ[layer] = z.clone().DetachFromDisposeScope(); return z; };
        }
        float[] clean, corrupt;
        using (var scope = NewDisposeScope())
        {
            clean = LogitDiff(model.Run(data.Clean, hooks: cache));
            corrupt = LogitDiff(model.Run(data.Corrupt));
        }

        var patched = new float[B, components];
        var clock = Stopwatch.StartNew();
        for (int c = 0; c < components; c++)
        {
            int layer = c / H, head = c % H;
            var hooks = new Dictionary<string, TorchHook>
            {
                [HookNames.AttnZ(layer)] = z => { z.narrow(2, head, 1).copy_(cleanZ[layer].narrow(2, head, 1)); return z; },
            };
            using var scope = NewDisposeScope();
            var ld = LogitDiff(model.Run(data.Corrupt, allPositionLogits, hooks));
            for (int b = 0; b < B; b++) patched[b, c] = ld[b];
        }
        double seconds = clock.Elapsed.TotalSeconds;
        foreach (var z in cleanZ) z.Dispose();
        answer.Dispose(); wrong.Dispose();
        return new TorchPatchRun(patched, clean, corrupt, seconds);
    }
}
