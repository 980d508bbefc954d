// The built-in metrics on their own: the value from final-residual rows equals the value from the
// full logits (the plain engine's path), the gradient matches central finite differences in double,
// logit-diff-to-max's gradient goes to the best other candidate, and bad targets are refused.
using CircuitLens.Model;
using CircuitLens.Patching.Metrics;

namespace CircuitLens.Tests.Patching;

public class MetricTests
{
    private static readonly ForwardOptions AllLogits = new() { Logits = LogitsMode.LastPosition };

    public static TheoryData<string> Names => new() { "logit-diff", "prob-diff", "logit-diff-to-max" };

    // targets for 3 pairs; prob-diff's sets are large so its gradient is not dominated by one token
    private static PatchingMetric Metric(string name) => name switch
    {
        "logit-diff" => new LogitDiffMetric([7, 50, 300], [19, 88, 301]),
        "prob-diff" => new ProbDiffMetric(
            [[.. Enumerable.Range(100, 40)], [7, 8, 9], [.. Enumerable.Range(1000, 200)]],
            [[.. Enumerable.Range(140, 30)], [10], []]),
        _ => new LogitDiffToMaxMetric([33, 40, 57], [[.. Enumerable.Range(32, 26)], [.. Enumerable.Range(32, 26)], [.. Enumerable.Range(32, 26)]]),
    };

    private static float[] RandomRows(int n, int c, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n * c).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
    }

    [Theory, MemberData(nameof(Names))]
    public void ValueFromResidualRowsEqualsValueFromFullLogits(string name)
    {
        var model = AttributionTestModels.Shared();
        var metric = Metric(name);
        var batch = TokenBatch.FromSequences([[5, 17, 42, 8], [11, 60, 2], [300, 301, 9, 9, 4]]);
        var run = model.Run(batch, AllLogits);
        var fromLogits = metric.FromLogits(run.Logits!);
        var fromResidual = metric.FromFinalResidual(model.Weights, run.Residual);
        for (int b = 0; b < 3; b++) Assert.Equal(fromLogits[b], fromResidual[b], 1e-4 + 1e-3 * Math.Abs(fromLogits[b]));
    }

    [Theory, MemberData(nameof(Names))]
    public void GradientMatchesFiniteDifferences(string name)
    {
        var model = AttributionTestModels.Shared();
        var w = model.Weights;
        var metric = Metric(name);
        int C = model.Config.DModel;
        int[] pairs = [2, 0, 1];
        var rows = RandomRows(3, C, 11);
        var grad = new float[3 * C];
        metric.Gradient(w, pairs, rows, grad);
        const float h = 1e-2f;
        double errSq = 0, normSq = 0;
        var values = new float[3];
        for (int i = 0; i < rows.Length; i += 3)
        {
            float keep = rows[i];
            rows[i] = keep + h; metric.Evaluate(w, pairs, rows, values); double up = values.Sum(v => (double)v);
            rows[i] = keep - h; metric.Evaluate(w, pairs, rows, values); double down = values.Sum(v => (double)v);
            rows[i] = keep;
            double fd = (up - down) / (2 * h);
            errSq += (fd - grad[i]) * (fd - grad[i]);
            normSq += fd * fd;
        }
        Assert.True(normSq > 1e-12, "the metric does not depend on the rows");
        Assert.True(Math.Sqrt(errSq / normSq) < 2e-2, $"{name}: finite differences disagree with Gradient (relative error {Math.Sqrt(errSq / normSq):G3})");
    }

    [Fact]
    public void LogitDiffToMaxGradientGoesToTheBestOtherCandidate()
    {
        var model = AttributionTestModels.Shared();
        var w = model.Weights;
        int C = model.Config.DModel;
        var rows = RandomRows(1, C, 3);
        var metric = new LogitDiffToMaxMetric([40], [[.. Enumerable.Range(32, 26)]]);
        var value = new float[1];
        metric.Evaluate(w, [0], rows, value);
        // the same value as a logit-diff against the argmax other candidate, and the same gradient
        int best = -1; float bestLogit = float.NegativeInfinity;
        foreach (int c in Enumerable.Range(32, 26).Where(c => c != 40))
        {
            var v = new float[1];
            new LogitDiffMetric([c], [40]).Evaluate(w, [0], rows, v);   // logit(c) − logit(answer): ranks the candidates
            if (v[0] > bestLogit) { bestLogit = v[0]; best = c; }
        }
        var asDiff = new LogitDiffMetric([40], [best]);
        var expected = new float[1];
        asDiff.Evaluate(w, [0], rows, expected);
        Assert.Equal(expected[0], value[0], 1e-5);
        var g1 = new float[C]; var g2 = new float[C];
        metric.Gradient(w, [0], rows, g1);
        asDiff.Gradient(w, [0], rows, g2);
        Assert.Equal(g2, g1);
    }

    [Fact]
    public void ProbDiffIsBetweenMinusOneAndOneAndSumsToOneOverTheWholeVocabulary()
    {
        var model = AttributionTestModels.Shared();
        int V = model.Config.VocabSize, C = model.Config.DModel;
        var all = new ProbDiffMetric([[.. Enumerable.Range(0, V)]], [[]]);
        var rows = RandomRows(1, C, 5);
        var value = new float[1];
        all.Evaluate(model.Weights, [0], rows, value);
        Assert.Equal(1f, value[0], 1e-4);
    }

    [Fact]
    public void RefusesTargetsTheMetricCannotScore()
    {
        Assert.Contains("exactly one answer", Assert.Throws<CircuitLensException>(() => new LogitDiffMetric(new MetricTargets([[1, 2]], [[3]]))).Message);
        Assert.Contains("same token", Assert.Throws<CircuitLensException>(() => new LogitDiffMetric([4], [4])).Message);
        Assert.Contains("both an answer and a wrong", Assert.Throws<CircuitLensException>(() => new ProbDiffMetric([[1, 2]], [[2, 3]])).Message);
        Assert.Contains("other than the answer", Assert.Throws<CircuitLensException>(() => new LogitDiffToMaxMetric([5], [[5]])).Message);
        Assert.Contains("unknown metric", Assert.Throws<CircuitLensException>(() => PatchingMetric.Create("kl-div", new MetricTargets([[1]]))).Message);
        Assert.Contains("outside the vocabulary", Assert.Throws<CircuitLensException>(() => new MetricTargets([[60000]], [[1]]).CheckVocabulary(50257)).Message);
    }

    [Fact]
    public void PickKeepsTheKindAndTheChosenTargets()
    {
        var metric = Metric("logit-diff-to-max").Pick([2, 0]);
        var typed = Assert.IsType<LogitDiffToMaxMetric>(metric);
        Assert.Equal([57, 33], typed.AnswerIds);
        Assert.Equal(25, typed.Others[0].Length);
    }
}
