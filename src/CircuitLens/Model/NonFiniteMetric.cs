// The guard that keeps NaN and ±Inf out of results: a metric (a logit difference per pair) that is not
// finite stops the run with one line naming the pair, the metric and the first hook point whose activation
// went non-finite when that pair's prompt is rerun with a full cache. Finite weights are already checked
// at load (CheckpointLoader); this catches finite weights whose activations overflow float32.
using CircuitLens.Hooks;
using CircuitLens.Tensors;

namespace CircuitLens.Model;

public static class NonFiniteMetric
{
    /// <summary>Throws <see cref="CircuitLensException"/> if any value is NaN or ±Inf; <paramref name="prompts"/> gives the tokens that produced each value.</summary>
    public static void Check(HookedTransformer model, string metric, ReadOnlySpan<float> values, Func<int, int[]> prompts, int firstRow = 0)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i])) continue;
            string where = FirstNonFiniteHook(model, prompts(i)) is { } hook
                ? $"activations first go non-finite at {hook}"
                : "every activation is finite, so the logits overflowed in the unembedding";
            throw new CircuitLensException(
                $"the {metric} of pair {firstRow + i + 1} is {values[i]} (model {model.Config.ModelName}): {where}; the weights are too large for float32 or the checkpoint is damaged");
        }
    }

    /// <summary>Throws if the logits of <paramref name="tokens"/> (any slice of them) hold NaN or ±Inf, naming the first non-finite hook point.</summary>
    public static void CheckLogits(HookedTransformer model, ReadOnlySpan<float> logits, int[] tokens)
    {
        int bad = IndexOfNonFinite(logits);
        if (bad < 0) return;
        string where = FirstNonFiniteHook(model, tokens) is { } hook
            ? $"activations first go non-finite at {hook}"
            : "every activation is finite, so the logits overflowed in the unembedding";
        throw new CircuitLensException(
            $"the logits hold {logits[bad]} (model {model.Config.ModelName}, token id {bad % model.Config.VocabSize}): {where}; the weights are too large for float32 or the checkpoint is damaged");
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++) if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>The first hook point, in forward order, whose activation holds a NaN or ±Inf for these tokens; null if none does.</summary>
    public static string? FirstNonFiniteHook(HookedTransformer model, int[] tokens)
    {
        var (_, cache) = model.RunWithCache(TokenBatch.Single(tokens));
        foreach (string name in HookNames.All(model.Config.NLayers))
            if (cache.TryGet(name, out var activation) && !IsFinite(activation.Span, maskedIsNegativeInfinity: name.EndsWith("hook_attn_scores", StringComparison.Ordinal)))
                return name;
        return null;
    }

    // Attention scores hold -Inf above the diagonal by design (the causal mask); only NaN and +Inf are wrong there.
    private static bool IsFinite(ReadOnlySpan<float> values, bool maskedIsNegativeInfinity)
    {
        foreach (float v in values)
            if (!float.IsFinite(v) && !(maskedIsNegativeInfinity && float.IsNegativeInfinity(v))) return false;
        return true;
    }
}
