// Each attention head's direct effect on a logit difference (direct logit attribution): the head's
// output at the last position (its z times its rows of W_O), through the final LayerNorm as that run
// applied it (centred, divided by the run's ln_final scale, times ln_f's weight; ln_f's bias is the
// same for every head and left out), onto W_U[:, answer] − W_U[:, wrong] — TransformerLens'
// stack_head_results + apply_ln_to_stack + logit_attrs. Hooks (a knock-out of other heads) may
// change the run; each head's effect is then the one it has in that run.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Patching.Metrics;
using CircuitLens.Tensors;

namespace CircuitLens.Circuits;

public static class HeadDirectEffects
{
    /// <summary>[layer, head]: the mean over the batch of each head's direct effect on the pairs' logit difference, on the clean prompts.</summary>
    public static Tensor Measure(HookedTransformer model, PatchingBatch data, IEnumerable<NamedHook>? hooks = null)
    {
        if (data.Metric is not LogitDiffMetric metric)
            throw new CircuitLensException($"direct effects are measured on a logit difference; this batch's metric is {data.Metric.Name}");
        var cfg = model.Config;
        int B = data.Count, T = data.SeqLen, L = cfg.NLayers, H = cfg.NHeads, C = cfg.DModel, D = cfg.DHead;
        var (_, cache) = model.RunWithCache(data.Clean, n => HookNames.TryParse(n, L, out var p, out _) && p is HookPoint.Z or HookPoint.LnFinalScale,
            new ForwardOptions { Logits = LogitsMode.LastPosition }, hooks);   // the final LayerNorm runs only with logits
        var w = model.Weights;
        var lnWeight = w.Read(w.LnFinalWeight);
        var wte = w.Read(w.TokenEmbedding);
        var scale = cache[HookNames.Name(HookPoint.LnFinalScale)];   // (B,T,1)
        var result = Tensor.Zeros(L, H);
        var direction = new float[C];
        var output = new float[C];
        for (int b = 0; b < B; b++)
        {
            // ln_f weight ⊙ (W_U[:, answer] − W_U[:, wrong]) / scale: the logit-difference direction for a centred residual vector
            var answer = wte.Slice(metric.AnswerIds[b] * C, C);
            var wrong = wte.Slice(metric.WrongIds[b] * C, C);
            float s = scale.Slice(b, T - 1)[0];
            for (int c = 0; c < C; c++) direction[c] = lnWeight[c] * (answer[c] - wrong[c]) / s;
            for (int l = 0; l < L; l++)
            {
                var wo = w.Read(w.Layers[l].AttnOutWeight);   // (C, C): rows h*D..(h+1)*D are head h's W_O
                var z = cache[HookPoint.Z, l];                 // (B,T,NH,HS)
                for (int h = 0; h < H; h++)
                {
                    var zh = z.Slice(b, T - 1, h);
                    Array.Clear(output);
                    for (int d = 0; d < D; d++)
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(wo.Slice((h * D + d) * C, C), zh[d], output, output);
                    float mean = System.Numerics.Tensors.TensorPrimitives.Sum(output) / C;
                    System.Numerics.Tensors.TensorPrimitives.Subtract(output, mean, output);
                    result[l, h] += System.Numerics.Tensors.TensorPrimitives.Dot(output, direction) / B;
                }
            }
        }
        return result;
    }
}
