// logit-diff: logit(answer) − logit(wrong) at the last position, one answer and one wrong token per
// pair (the IOI metric). From a final-residual row it needs two vocabulary rows, not the unembedding:
// ln_f(x)·(wte[answer] − wte[wrong]); its gradient is ln_f's backward of that difference.
using CircuitLens.Model;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Patching.Metrics;

public sealed class LogitDiffMetric : AnswerVersusOpponentMetric
{
    public const string MetricName = "logit-diff";

    /// <summary>Per pair: the answer token id and the wrong token id.</summary>
    public override int[] AnswerIds { get; }
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

    // the opponent is always the wrong token: the logit-diff needs only its vocabulary row (logit computed, nothing chosen)
    private protected override (int Id, float Logit) Opponent(ReadOnlySpan<float> normalized, ReadOnlySpan<float> wte, int C, int pair) =>
        (WrongIds[pair], TensorPrimitives.Dot(normalized, wte.Slice(WrongIds[pair] * C, C)));

    private protected override float OpponentLogit(ReadOnlySpan<float> logits, int pair) => logits[WrongIds[pair]];
}
