// logit-diff-to-max: logit(answer) − max logit over the other candidates at the last position
// (acronyms' metric: the answer letter against the best other capital letter). From a final-residual
// row it needs the candidates' vocabulary rows only. The gradient flows to the answer and to the
// candidate that is the maximum (ties: the first in the candidate list), as autograd's max does.
using CircuitLens.Model;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Patching.Metrics;

public sealed class LogitDiffToMaxMetric : PatchingMetric
{
    public const string MetricName = "logit-diff-to-max";

    /// <summary>Per pair: the answer token id.</summary>
    public int[] AnswerIds { get; }
    /// <summary>Per pair: the candidates other than the answer (what the answer is compared with).</summary>
    public IReadOnlyList<int[]> Others { get; }

    public LogitDiffToMaxMetric(int[] answerIds, IReadOnlyList<int[]> candidates)
        : this(new MetricTargets(answerIds.Select(a => new[] { a }).ToArray(), candidates: candidates)) { }

    public LogitDiffToMaxMetric(MetricTargets targets) : base(targets)
    {
        AnswerIds = new int[targets.Count];
        var others = new int[targets.Count][];
        for (int i = 0; i < targets.Count; i++)
        {
            Require(targets.Answers[i].Length == 1, i, $"{MetricName} needs exactly one answer token, got {targets.Answers[i].Length}");
            Require(targets.Wrong[i].Length == 0, i, $"{MetricName} takes candidates, not wrong answers");
            AnswerIds[i] = targets.Answers[i][0];
            others[i] = targets.Candidates[i].Where(c => c != AnswerIds[i]).Distinct().ToArray();
            Require(others[i].Length > 0, i, $"{MetricName} needs at least one candidate other than the answer");
        }
        Others = others;
    }

    public override string Name => MetricName;
    public override string Description => "logit(answer) - max logit over the other candidates at the last position";

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
            values[i] = TensorPrimitives.Dot(x, wte.Slice(AnswerIds[b] * C, C)) - MaxOther(x, wte, C, b).Logit;
        }
    }

    public override void Gradient(Gpt2Weights weights, ReadOnlySpan<int> pairs, ReadOnlySpan<float> rows, Span<float> gradients)
    {
        int C = weights.Config.DModel, n = pairs.Length;
        var normalized = new float[n * C];
        FinalLayerNorm.Forward(weights, rows, normalized, n);
        var dNormalized = new float[n * C];
        var wte = weights.Read(weights.TokenEmbedding);
        for (int i = 0; i < n; i++)
        {
            int b = pairs[i];
            int argmax = MaxOther(normalized.AsSpan(i * C, C), wte, C, b).Id;
            TensorPrimitives.Subtract(wte.Slice(AnswerIds[b] * C, C), wte.Slice(argmax * C, C), dNormalized.AsSpan(i * C, C));
        }
        FinalLayerNorm.Backward(weights, rows, dNormalized, gradients, n);
    }

    public override void EvaluateLogits(ReadOnlySpan<int> pairs, ReadOnlySpan<float> logits, int vocabSize, Span<float> values)
    {
        for (int i = 0; i < pairs.Length; i++)
        {
            var row = logits.Slice(i * vocabSize, vocabSize);
            float max = float.NegativeInfinity;
            foreach (int c in Others[pairs[i]]) max = Math.Max(max, row[c]);
            values[i] = row[AnswerIds[pairs[i]]] - max;
        }
    }

    // the other candidate with the largest logit ln_f(x)·wte[c], and that logit
    private (int Id, float Logit) MaxOther(ReadOnlySpan<float> normalized, ReadOnlySpan<float> wte, int C, int pair)
    {
        int best = -1; float max = float.NegativeInfinity;
        foreach (int c in Others[pair])
        {
            float logit = TensorPrimitives.Dot(normalized, wte.Slice(c * C, C));
            if (logit > max) { max = logit; best = c; }
        }
        return (best < 0 ? Others[pair][0] : best, max);   // NaN logits: no maximum, keep the shape
    }
}
