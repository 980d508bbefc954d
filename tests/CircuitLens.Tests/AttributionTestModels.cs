// Small random GPT-2s for the backward-pass and attribution tests: weights scaled up from the GPT-2
// init so attention is far from uniform and LayerNorm weights are not all ones (a backward pass that
// forgot the LayerNorm weight or the softmax would then fail the checks).
using CircuitLens.Model;

namespace CircuitLens.Tests;

internal static class AttributionTestModels
{
    public static Gpt2Config Tiny(string activation = "gelu_new") => new()
    {
        NLayers = 3, NHeads = 4, DModel = 32, DMlp = 128, NCtx = 32, VocabSize = 97, Activation = activation, ModelName = "tiny-test",
    };

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

    /// <summary>Two prompts of different lengths, so row 1 is left-padded.</summary>
    public static TokenBatch PaddedPair(int vocab) => TokenBatch.FromSequences([
        [5 % vocab, 17 % vocab, 42 % vocab, 8 % vocab, 66 % vocab, 3 % vocab, 29 % vocab],
        [11 % vocab, 60 % vocab, 2 % vocab, 37 % vocab],
    ]);
}
