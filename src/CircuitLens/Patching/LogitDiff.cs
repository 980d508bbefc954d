// The IOI metric: logit(answer) − logit(wrong) at the last position, per example.
using CircuitLens.Model;
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Patching;

public static class LogitDiff
{
    // logits is (B,P,V) with P ≥ 1; the last of the P positions is the prediction position (left padding)
    public static float[] Compute(Tensor logits, int[] answerIds, int[] wrongIds)
    {
        int B = logits.Dim(0), P = logits.Dim(1);
        var result = new float[B];
        for (int b = 0; b < B; b++)
        {
            var row = logits.Slice(b, P - 1);
            result[b] = row[answerIds[b]] - row[wrongIds[b]];
        }
        return result;
    }

    /// <summary>The same metric from one final-residual row (before ln_f): ln_f(x)·(wte[answer] − wte[wrong]),
    /// two vocabulary rows instead of the full unembedding.</summary>
    public static float FromFinalResidual(Gpt2Weights w, ReadOnlySpan<float> residual, int answerId, int wrongId)
    {
        int C = w.Config.DModel;
        Span<float> centered = stackalloc float[C], normalized = stackalloc float[C], scale = stackalloc float[1];
        LayerNorm.ScaleForward(centered, scale, residual, 1, C, w.Config.LayerNormEps);
        LayerNorm.NormalizeForward(normalized, centered, scale, w.Read(w.LnFinalWeight), w.Read(w.LnFinalBias), 1, C);
        var wte = w.Read(w.TokenEmbedding);
        return TensorPrimitives.Dot(normalized, wte.Slice(answerId * C, C)) - TensorPrimitives.Dot(normalized, wte.Slice(wrongId * C, C));
    }

    /// <summary>Per example, from the final residual stream (B,T,C) of a left-padded batch.</summary>
    public static float[] FromFinalResidual(Gpt2Weights w, Tensor residual, int[] answerIds, int[] wrongIds)
    {
        int B = residual.Dim(0), T = residual.Dim(1);
        var result = new float[B];
        for (int b = 0; b < B; b++) result[b] = FromFinalResidual(w, residual.Slice(b, T - 1), answerIds[b], wrongIds[b]);
        return result;
    }
}
