// logit-diff: logit(answer) − logit(wrong) at the last position, one answer and one wrong token per
// pair (the IOI metric). From a final-residual row it needs two vocabulary rows, not the unembedding:
// ln_f(x)·(wte[answer] − wte[wrong]); its gradient is ln_f's backward of that difference.
using CircuitLens.Model;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Patching.Metrics;

public sealed class LogitDiffMetric : PatchingMetric
{
    public const string MetricName = "logit-diff";

    /// <summary>Per pair: the answer token id and the wrong token id.</summary>
    public int[] AnswerIds { get; }
    public int[] WrongIds { get; }

    public LogitDiffMetric(int[] answerIds, int[] wrongIds) : this(MetricTargets.Single(answerIds, wrongIds)) { }

    public LogitDiffMetric(MetricTargets targets) : base(targets)
    {
        AnswerIds = new int[targets.Count]; WrongIds = new int[targets.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            Require(targets.Answers[i].Length == 1, i, $"{MetricName} needs exactly one answer token, got {targets.Answers[i].Length}");
            Require(targets.Wrong[i].Length == 1, i, $"{MetricName} needs exactly one wrong token, got {targets.Wrong[i].Length}");
            AnswerIds[i] = targets.Answers[i][0]; WrongIds[i] = targets.Wrong[i][0];
            Require(AnswerIds[i] != WrongIds[i], i, $"answer and wrong are the same token (id {AnswerIds[i]})");
        }
    }

    public override string Name => MetricName;
    public override string Description => "logit(answer) - logit(wrong) at the last position";

    public override void Evaluate(Gpt2Weights weights, ReadOnlySpan<int> pairs, ReadOnlySpan<float> rows, Span<float> values)
    {
        int C = weights.Config.DModel, n = pairs.Length;
        var normalized = new float[n * C];
        FinalLayerNorm.Forward(weights, rows, normalized, n);
        var wte = weights.Read(weights.TokenEmbedding);
        for (int i = 0; i < n; i++)
        {
            var x = normalized.AsSpan(i * C, C);
            int b = pairs[i];
            values[i] = TensorPrimitives.Dot(x, wte.Slice(AnswerIds[b] * C, C)) - TensorPrimitives.Dot(x, wte.Slice(WrongIds[b] * C, C));
        }
    }

    public override void Gradient(Gpt2Weights weights, ReadOnlySpan<int> pairs, ReadOnlySpan<float> rows, Span<float> gradients)
    {
        int C = weights.Config.DModel, n = pairs.Length;
        var dNormalized = new float[n * C];
        var wte = weights.Read(weights.TokenEmbedding);
        for (int i = 0; i < n; i++)
            TensorPrimitives.Subtract(wte.Slice(AnswerIds[pairs[i]] * C, C), wte.Slice(WrongIds[pairs[i]] * C, C), dNormalized.AsSpan(i * C, C));
        FinalLayerNorm.Backward(weights, rows, dNormalized, gradients, n);
    }

    public override void EvaluateLogits(ReadOnlySpan<int> pairs, ReadOnlySpan<float> logits, int vocabSize, Span<float> values)
    {
        for (int i = 0; i < pairs.Length; i++)
        {
            var row = logits.Slice(i * vocabSize, vocabSize);
            values[i] = row[AnswerIds[pairs[i]]] - row[WrongIds[pairs[i]]];
        }
    }
}
