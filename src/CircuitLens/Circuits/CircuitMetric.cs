// The one place the circuit tools read their metric: from a run's logits (plain engines) or from one
// final-residual row (fast engines). It is the IOI logit difference today; it is the seam where the
// generalised pair metrics (prob-diff, logit-diff-to-max) plug in, so no engine names a metric itself.
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Circuits;

internal sealed class CircuitMetric
{
    private readonly Gpt2Weights _w;
    private readonly int[] _answer, _wrong;

    public CircuitMetric(Gpt2Weights weights, PatchingBatch data)
    {
        _w = weights; _answer = data.AnswerIds; _wrong = data.WrongIds;
    }

    public string Name => "logit_diff";

    /// <summary>Per pair, from logits (B,P,V) whose last position is the prediction.</summary>
    public float[] FromLogits(Tensor logits) => LogitDiff.Compute(logits, _answer, _wrong);

    /// <summary>Pair <paramref name="pair"/>'s metric from its last-position residual row (before ln_f).</summary>
    public float FromFinalResidual(int pair, ReadOnlySpan<float> row) => LogitDiff.FromFinalResidual(_w, row, _answer[pair], _wrong[pair]);

    /// <summary>Per pair, from the final residual stream (B,T,C).</summary>
    public float[] FromFinalResidual(Tensor residual)
    {
        int B = residual.Dim(0), T = residual.Dim(1);
        var result = new float[B];
        for (int b = 0; b < B; b++) result[b] = FromFinalResidual(b, residual.Slice(b, T - 1));
        return result;
    }
}
