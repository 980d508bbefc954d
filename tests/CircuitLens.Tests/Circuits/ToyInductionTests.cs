// The planted induction model: the detectors rank the planted heads first, it really does induction
// (predicts the repeated half), path patching finds exactly the planted edges, and the planted circuit
// is faithful under mean ablation.
using CircuitLens.Circuits;
using CircuitLens.Circuits.Toy;
using CircuitLens.Model;
using CircuitLens.Patching;
using Xunit.Abstractions;

namespace CircuitLens.Tests.Circuits;

public class ToyInductionTests(ITestOutputHelper output)
{
    private static readonly Lazy<PlantedModel> s_toy = new(() => ToyModels.Induction());
    private static readonly Lazy<HookedTransformer> s_model = new(() => s_toy.Value.ToModel());

    private static (int Layer, int Head) Top(CircuitLens.Tensors.Tensor t)
    {
        int best = Enumerable.Range(0, t.Length).MaxBy(i => t.Data[i]);
        return (best / t.Dim(1), best % t.Dim(1));
    }

    [Fact]
    public void DetectorsRankThePlantedHeadsFirst()
    {
        var seqs = HeadDetectors.RepeatedRandomTokens(10, 20, seed: 3, prependBos: true, 50257);
        var scores = HeadDetectors.Score(s_model.Value, seqs);
        output.WriteLine($"prev {scores[HeadDetector.PreviousToken][0, 0]} induction {scores[HeadDetector.Induction][1, 0]}");
        Assert.Equal((0, 0), Top(scores[HeadDetector.PreviousToken]));
        Assert.Equal((1, 0), Top(scores[HeadDetector.Induction]));
        Assert.True(scores[HeadDetector.PreviousToken][0, 0] > 0.9);
        Assert.True(scores[HeadDetector.Induction][1, 0] > 0.4);   // half the positions (the first block) have nothing to induce from
    }

    [Fact]
    public void ItPredictsTheRepeatedHalf()
    {
        var seqs = HeadDetectors.RepeatedRandomTokens(5, 20, seed: 4, prependBos: true, 50257);
        var logits = s_model.Value.Forward(TokenBatch.FromSequences(seqs));
        int right = 0, total = 0;
        for (int b = 0; b < seqs.Count; b++)
            for (int t = 21; t < 40; t++)
            {
                var row = logits.Slice(b, t);
                int argmax = 0;
                for (int v = 1; v < row.Length; v++) if (row[v] > row[argmax]) argmax = v;
                right += argmax == seqs[b][t + 1] ? 1 : 0; total++;
            }
        output.WriteLine($"{right}/{total}");
        Assert.Equal(total, right);
    }

    // clean = BOS r r[..k]: predicts r[k]; corrupt: r[k−1] in the first block replaced, so no earlier copy has the right key
    internal static PatchingBatch InductionPairs(int n, int length, int k, int seed)
    {
        var rng = new Random(seed);
        var clean = new List<int[]>(); var corrupt = new List<int[]>(); var answer = new int[n]; var wrong = new int[n];
        for (int i = 0; i < n; i++)
        {
            var r = Enumerable.Range(0, length).Select(_ => rng.Next(50000)).ToArray();
            int y = rng.Next(50000);
            int[] c = [50256, .. r, .. r[..k]];
            var x = (int[])c.Clone();
            x[k] = y;   // position k holds r[k−1]
            clean.Add(c); corrupt.Add(x); answer[i] = r[k]; wrong[i] = y;
        }
        return new PatchingBatch(clean, corrupt, answer, wrong);
    }

    [Fact]
    public void PathPatchingFindsThePlantedEdgesAndNothingElse()
    {
        var data = InductionPairs(6, 20, 7, seed: 5);
        var toLogits = PathPatching.Run(s_model.Value, data, PathReceivers.Logits).NormalizedMean();
        var toKey = PathPatching.Run(s_model.Value, data, PathReceivers.Parse("1.0:k", 2, 4)).NormalizedMean();
        output.WriteLine($"logits: 0.0 {toLogits[0, 0]} 1.0 {toLogits[1, 0]}; 1.0:k: 0.0 {toKey[0, 0]}");
        Assert.True(toLogits[1, 0] < -0.9, "1.0 → logits carries the whole effect");
        Assert.True(Math.Abs(toLogits[0, 0]) < 0.05, "0.0 has no direct path to the logits");
        Assert.True(toKey[0, 0] < -0.9, "0.0 → 1.0:k carries the whole effect");
        for (int l = 0; l < 2; l++)
            for (int h = 1; h < 4; h++)
            {
                Assert.Equal(0f, toLogits[l, h]);
                if (l == 0) Assert.Equal(0f, toKey[l, h]);
            }
    }

    [Fact]
    public void ThePlantedCircuitIsFaithful()
    {
        var data = InductionPairs(6, 20, 7, seed: 6);
        var reference = InductionPairs(8, 20, 7, seed: 7).Corrupt;
        var refs = Enumerable.Range(0, reference.BatchSize).Select(b => reference.Row(b).ToArray()).ToList();
        var ablation = new CircuitAblation(s_model.Value, data, AblationKind.Mean, refs);
        var result = CircuitCheck.Run(ablation, s_toy.Value.Circuit, 2, 4, new CircuitCheckOptions { RandomSubsets = 0, GreedySteps = 1 });
        output.WriteLine($"F(M) {result.FModel} F(C) {result.FCircuit} F(empty) {result.FEmpty}");
        Assert.True(result.Faithfulness < 1e-3 * Math.Abs(result.FModel));
        Assert.True(result.FModel > 5);
        Assert.All(result.Minimality, m => Assert.True(m.Score > 0.5 * result.FModel, $"{m.Head} is needed"));
    }
}
