// The IOI metric: logit(answer) − logit(wrong) at the last position, per example.
using CircuitLens.Tensors;

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
}
