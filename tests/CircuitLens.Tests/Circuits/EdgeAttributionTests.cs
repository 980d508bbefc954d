// Edge attribution patching: a sender's edge scores sum to its node attribution Δout · ∂metric/∂resid
// (checked against the model's own backward pass on the tiny fixture), edges exist only downstream,
// and on the planted induction model EAP-IG's strongest edges are the planted ones.
using CircuitLens.Circuits;
using CircuitLens.Circuits.Toy;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tests.Model;
using Xunit.Abstractions;

namespace CircuitLens.Tests.Circuits;

public class EdgeAttributionTests(ITestOutputHelper output)
{
    [Fact]
    public void EdgeScoresSumToNodeAttribution()
    {
        var model = TinyGpt2.Model;
        var data = CircuitFixtures.Batch();
        var result = EdgeAttribution.Run(model, data, EdgeMethod.Eap, rowsPerChunk: 5);
        int L = 3, B = data.Count, T = data.SeqLen;

        var (run, clean) = model.RunWithCache(data.Clean, n => true, new ForwardOptions { Logits = LogitsMode.None });
        var (_, corrupt) = model.RunWithCache(data.Corrupt, n => true, new ForwardOptions { Logits = LogitsMode.None });
        var grads = Gpt2Backward.Gradients(model, data.Clean, clean, data.Metric.FinalResidualGradient(model.Weights, run.Residual));
        double Node(string deltaOf, Func<int, int, float[]> delta, string gradOf)
        {
            double sum = 0;
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++)
                {
                    var d = delta(b, t); var g = grads[gradOf].Slice(b, t);
                    for (int i = 0; i < d.Length; i++) sum += d[i] * g[i];
                }
            return sum / B;
        }
        float[] Diff(string name, int b, int t) => corrupt[name].Slice(b, t).ToArray().Zip(clean[name].Slice(b, t).ToArray(), (x, y) => x - y).ToArray();

        for (int s = 0; s < result.Senders.Count; s++)
        {
            var u = result.Senders[s];
            double edges = Enumerable.Range(0, result.Receivers.Count).Select(r => result.Scores[s, r]).Where(x => !double.IsNaN(x)).Sum();
            double node = u.IsInput ? Node("embed", (b, t) => Diff("hook_embed", b, t).Zip(Diff("hook_pos_embed", b, t), (x, y) => x + y).ToArray(), HookNames.ResidPre(0))
                : u.IsMlp ? Node("mlp", (b, t) => Diff(HookNames.Name(HookPoint.MlpOut, u.Layer), b, t), HookNames.Name(HookPoint.ResidPost, u.Layer))
                : Node("head", (b, t) => HeadOut(model, corrupt, clean, u, b, t), HookNames.Name(HookPoint.ResidMid, u.Layer));
            Assert.True(Math.Abs(edges - node) <= 1e-4 + 1e-3 * Math.Abs(node), $"{u}: edges sum to {edges}, node attribution {node}");
        }
        Assert.True(double.IsNaN(result.Scores[result.Senders.ToList().IndexOf(new GraphNode(1, 2)), result.Receivers.ToList().IndexOf(new GraphReceiver(new GraphNode(1, 0), HookPoint.Q, false))]));
        Assert.False(double.IsNaN(result.Scores[result.Senders.ToList().IndexOf(new GraphNode(1, 2)), result.Receivers.ToList().IndexOf(new GraphReceiver(new GraphNode(1, -1), HookPoint.MlpPre, false))]));
    }

    private static float[] HeadOut(HookedTransformer model, ActivationCache corrupt, ActivationCache clean, GraphNode u, int b, int t)
    {
        int C = model.Config.DModel, D = model.Config.DHead;
        var wo = model.Weights.Read(model.Weights.Layers[u.Layer].AttnOutWeight);
        var zc = corrupt[HookPoint.Z, u.Layer].Slice(b, t, u.Head); var zk = clean[HookPoint.Z, u.Layer].Slice(b, t, u.Head);
        var result = new float[C];
        for (int d = 0; d < D; d++)
            for (int c = 0; c < C; c++) result[c] += (zc[d] - zk[d]) * wo[(u.Head * D + d) * C + c];
        return result;
    }

    [Fact]
    public void EapIgRecoversThePlantedInductionEdges()
    {
        var model = ToyModels.Induction().ToModel();
        var data = ToyInductionTests.InductionPairs(6, 20, 7, seed: 8);
        var ranked = EdgeAttribution.Run(model, data, EdgeMethod.EapIg, steps: 5).Ranked();
        foreach (var e in ranked.Take(5)) output.WriteLine($"{e.Sender} → {e.Receiver}: {e.Score}");
        var top = ranked.Take(3).Select(e => $"{e.Sender}→{e.Receiver}").ToHashSet();
        Assert.Equal(new HashSet<string> { "input→0.0:v", "0.0→1.0:k", "1.0→logits" }, top);
    }
}
