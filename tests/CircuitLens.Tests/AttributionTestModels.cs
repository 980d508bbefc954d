// Small random GPT-2s for the backward-pass and attribution tests: weights scaled up from the GPT-2
// init so attention is far from uniform and LayerNorm weights are not all ones (a backward pass that
// forgot the LayerNorm weight or the softmax would then fail the checks). The vocabulary is full
// size because left padding uses token 50256 (<|endoftext|>).
using CircuitLens.Hooks;
using CircuitLens.Model;

namespace CircuitLens.Tests;

internal static class AttributionTestModels
{
    public static Gpt2Config Tiny(string activation = "gelu_new") => new()
    {
        NLayers = 3, NHeads = 4, DModel = 32, DMlp = 128, NCtx = 32, VocabSize = 50257, Activation = activation, ModelName = "tiny-test",
    };

    private static readonly Lazy<HookedTransformer> TanhModel = new(() => Model(Tiny("gelu_new")));
    private static readonly Lazy<HookedTransformer> ErfModel = new(() => Model(Tiny("gelu")));

    /// <summary>One shared model per activation (building the full-vocabulary embedding is the slow part).</summary>
    public static HookedTransformer Shared(string activation = "gelu_new") => activation == "gelu" ? ErfModel.Value : TanhModel.Value;

    public static HookedTransformer Model(Gpt2Config config, int seed = 1)
    {
        var w = Gpt2Weights.Random(config, seed);
        var rng = new Random(seed + 100);
        foreach (var view in w.All)
        {
            var span = w.Span(view);
            bool ln = view.Name.Contains("ln_");
            for (int i = 0; i < span.Length; i++)
            {
                if (ln && view.Name.EndsWith(".weight")) span[i] = 1f + (float)(rng.NextDouble() - 0.5) * 0.6f;
                else if (ln) span[i] = (float)(rng.NextDouble() - 0.5) * 0.2f;
                else span[i] *= 7f;
            }
        }
        return new HookedTransformer(w);
    }

    /// <summary>
    /// Σ_b logit[b,last,answer_b] − logit[b,last,wrong_b] computed here in double from the final residual stream,
    /// so finite differences skip the (slow, 50257-row) unembedding: ln_f(x_last)·(wte[answer] − wte[wrong]).
    /// </summary>
    public static double LogitDiffSum(HookedTransformer model, TokenBatch batch, int[] answers, int[] wrongs, IEnumerable<NamedHook> hooks) =>
        LogitDiffs(model, batch, answers, wrongs, hooks).Sum();

    /// <summary>Each example's logit difference, computed like <see cref="LogitDiffSum"/>.</summary>
    public static double[] LogitDiffs(HookedTransformer model, TokenBatch batch, int[] answers, int[] wrongs, IEnumerable<NamedHook> hooks)
    {
        var resid = model.RunWithHooks(batch, hooks, new ForwardOptions { Logits = LogitsMode.None }).Residual;
        var w = model.Weights;
        var wte = w.Read(w.TokenEmbedding);
        var gain = w.Read(w.LnFinalWeight);
        var bias = w.Read(w.LnFinalBias);
        int C = model.Config.DModel, T = batch.SeqLen;
        var result = new double[batch.BatchSize];
        for (int b = 0; b < batch.BatchSize; b++)
        {
            double sum = 0;
            var x = resid.Slice(b, T - 1);
            double mean = 0, variance = 0;
            for (int c = 0; c < C; c++) mean += x[c];
            mean /= C;
            for (int c = 0; c < C; c++) variance += (x[c] - mean) * (x[c] - mean);
            double scale = Math.Sqrt(variance / C + model.Config.LayerNormEps);
            for (int c = 0; c < C; c++)
            {
                double normalized = (x[c] - mean) / scale * gain[c] + bias[c];
                sum += normalized * (wte[answers[b] * C + c] - wte[wrongs[b] * C + c]);
            }
            result[b] = sum;
        }
        return result;
    }

    /// <summary>
    /// ∂LD/∂activation from the model's backward pass, seeded with the logit-diff metric's gradient at each
    /// example's final residual (read from the cache's last hook_resid_post).
    /// </summary>
    public static ActivationGradients LogitDiffGradients(HookedTransformer model, TokenBatch batch, ActivationCache cache,
        int[] answers, int[] wrongs, Func<string, bool>? keep = null, int[]? firstRows = null)
    {
        var metric = new CircuitLens.Patching.Metrics.LogitDiffMetric(answers, wrongs);
        var dFinal = metric.FinalResidualGradient(model.Weights, cache[HookPoint.ResidPost, model.Config.NLayers - 1]);
        return Gpt2Backward.Gradients(model, batch, cache, dFinal, keep, firstRows);
    }

    /// <summary>Two prompts of different lengths, so row 1 is left-padded.</summary>
    public static TokenBatch PaddedPair() => TokenBatch.FromSequences([
        [5, 17, 42, 8, 66, 3, 29],
        [11, 60, 2, 37],
    ]);
}
