// logit-diff-to-max: logit(answer) − max logit over the other candidates at the last position
// (acronyms' metric: the answer letter against the best other capital letter). From a final-residual
// row it needs the candidates' vocabulary rows only. The gradient flows to the answer and to the
// candidate that is the maximum (ties: the first in the candidate list), as autograd's max does.
using CircuitLens.Model;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Patching.Metrics;

public sealed class LogitDiffToMaxMetric : AnswerVersusOpponentMetric
{
    public const string MetricName = "logit-diff-to-max";

    public override int[] AnswerIds { get; }
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

    private protected override float OpponentLogit(ReadOnlySpan<float> logits, int pair)
    {
        float max = float.NegativeInfinity;
        foreach (int c in Others[pair]) max = Math.Max(max, logits[c]);
        return max;
    }

    // the other candidate with the largest logit ln_f(x)·wte[c], and that logit
    private protected override (int Id, float Logit) Opponent(ReadOnlySpan<float> normalized, ReadOnlySpan<float> wte, int C, int pair)
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
