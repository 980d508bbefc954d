// The shape logit-diff and logit-diff-to-max share: logit(answer) − logit(opponent) at the last position,
// where the opponent is one vocabulary row chosen per pair (the wrong token, or the best other candidate).
// From a final-residual row it needs ln_f(x) and a few vocabulary rows, not the unembedding; the gradient
// is ln_f's backward of wte[answer] − wte[opponent].
using CircuitLens.Model;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Patching.Metrics;

public abstract class AnswerVersusOpponentMetric(MetricTargets targets) : PatchingMetric(targets)
{
    /// <summary>Per pair: the answer token id.</summary>
    public abstract int[] AnswerIds { get; }

    /// <summary>The opponent of <paramref name="pair"/> given its normalised final row, and its logit ln_f(x)·wte[id].</summary>
    private protected abstract (int Id, float Logit) Opponent(ReadOnlySpan<float> normalized, ReadOnlySpan<float> wte, int C, int pair);

    /// <summary>The opponent's logit read from a full logits row.</summary>
    private protected abstract float OpponentLogit(ReadOnlySpan<float> logits, int pair);

    public sealed override void Evaluate(Gpt2Weights weights, ReadOnlySpan<int> pairs, ReadOnlySpan<float> rows, Span<float> values)
    {
        int C = weights.Config.DModel, n = pairs.Length;
        var normalized = new float[n * C];
        FinalLayerNorm.Forward(weights, rows, normalized, n);
        var wte = weights.Read(weights.TokenEmbedding);
        for (int i = 0; i < n; i++)
        {
            var x = normalized.AsSpan(i * C, C);
            int b = pairs[i];
            values[i] = TensorPrimitives.Dot(x, wte.Slice(AnswerIds[b] * C, C)) - Opponent(x, wte, C, b).Logit;
        }
    }

    public sealed override void Gradient(Gpt2Weights weights, ReadOnlySpan<int> pairs, ReadOnlySpan<float> rows, Span<float> gradients)
    {
        int C = weights.Config.DModel, n = pairs.Length;
        var normalized = new float[n * C];
        FinalLayerNorm.Forward(weights, rows, normalized, n);
        var dNormalized = new float[n * C];
        var wte = weights.Read(weights.TokenEmbedding);
        for (int i = 0; i < n; i++)
        {
            int b = pairs[i];
            int opponent = Opponent(normalized.AsSpan(i * C, C), wte, C, b).Id;
            TensorPrimitives.Subtract(wte.Slice(AnswerIds[b] * C, C), wte.Slice(opponent * C, C), dNormalized.AsSpan(i * C, C));
        }
        FinalLayerNorm.Backward(weights, rows, dNormalized, gradients, n);
    }

    public sealed override void EvaluateLogits(ReadOnlySpan<int> pairs, ReadOnlySpan<float> logits, int vocabSize, Span<float> values)
    {
        for (int i = 0; i < pairs.Length; i++)
        {
            var row = logits.Slice(i * vocabSize, vocabSize);
            values[i] = row[AnswerIds[pairs[i]]] - OpponentLogit(row, pairs[i]);
        }
    }
}
