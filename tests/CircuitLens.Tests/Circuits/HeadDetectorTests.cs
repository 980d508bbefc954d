// Head detectors: the detection patterns are TransformerLens' (worked by hand for a short sequence),
// and a score is Σ(pattern ⊙ detection)/Σ pattern averaged over sequences, computed from the cached
// attention of the tiny fixture.
using CircuitLens.Circuits;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Circuits;

public class HeadDetectorTests
{
    private static float[,] Grid(float[] p, int t)
    {
        var g = new float[t, t];
        for (int i = 0; i < t; i++) for (int j = 0; j < t; j++) g[i, j] = p[i * t + j];
        return g;
    }

    [Fact]
    public void DetectionPatternsAreTransformerLens()
    {
        int[] tokens = [7, 1, 2, 1, 2];
        Assert.Equal(new float[,] { { 0, 0, 0, 0, 0 }, { 1, 0, 0, 0, 0 }, { 0, 1, 0, 0, 0 }, { 0, 0, 1, 0, 0 }, { 0, 0, 0, 1, 0 } },
            Grid(HeadDetectors.DetectionPattern(HeadDetector.PreviousToken, tokens), 5));
        Assert.Equal(new float[,] { { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 }, { 0, 1, 0, 0, 0 }, { 0, 0, 1, 0, 0 } },
            Grid(HeadDetectors.DetectionPattern(HeadDetector.DuplicateToken, tokens), 5));
        // the duplicate pattern rolled right by one column (first column zeroed), then tril
        Assert.Equal(new float[,] { { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 }, { 0, 0, 1, 0, 0 }, { 0, 0, 0, 1, 0 } },
            Grid(HeadDetectors.DetectionPattern(HeadDetector.Induction, tokens), 5));
        // a token repeated back to back: TransformerLens' tril keeps the diagonal of the rolled pattern
        Assert.Equal(1f, HeadDetectors.DetectionPattern(HeadDetector.Induction, [5, 5])[1 * 2 + 1]);
    }

    [Fact]
    public void RepeatedRandomTokensAreABlockTwiceAfterBos()
    {
        var seqs = HeadDetectors.RepeatedRandomTokens(3, 6, seed: 2, prependBos: true, 50257);
        Assert.Equal(3, seqs.Count);
        foreach (var s in seqs)
        {
            Assert.Equal(13, s.Length);
            Assert.Equal(50256, s[0]);
            Assert.Equal(s[1..7], s[7..13]);
            Assert.All(s[1..], t => Assert.InRange(t, 0, 50255));
        }
        Assert.Equal(seqs[0], HeadDetectors.RepeatedRandomTokens(3, 6, seed: 2, prependBos: true, 50257)[0]);
    }

    [Fact]
    public void ScoresAreAttentionOnThePatternOverTotalAttentionAveraged()
    {
        var model = TinyGpt2.Model;
        var seqs = HeadDetectors.RepeatedRandomTokens(2, 5, seed: 1, prependBos: false, 50257);
        var scores = HeadDetectors.Score(model, seqs);
        foreach (var d in HeadDetectors.All)
            for (int l = 0; l < 3; l++)
                for (int h = 0; h < 4; h++)
                {
                    double expected = 0;
                    foreach (var s in seqs)
                    {
                        var (_, cache) = model.RunWithCache(TokenBatch.Single(s), n => n == HookNames.AttnPattern(l));
                        var a = cache[HookPoint.Pattern, l].Slice(0, h);
                        var mask = HeadDetectors.DetectionPattern(d, s);
                        double on = 0, all = 0;
                        for (int i = 0; i < a.Length; i++) { on += a[i] * mask[i]; all += a[i]; }
                        expected += on / all / seqs.Count;
                    }
                    Assert.Equal(expected, scores[d][l, h], 5);
                }
    }
}
