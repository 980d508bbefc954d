// Mean ablation and the circuit criteria against the float64 reference (tiny fixture, pair 0, six ABC
// reference prompts, no BOS), plus the structural facts: the full model as a circuit is exactly
// faithful; zero and resample ablation do what they say; positions and MLP lists are honoured.
using System.Text.Json;
using CircuitLens.Circuits;
using CircuitLens.Patching;
using CircuitLens.Tasks.Circuits;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Circuits;

public class CircuitAblationTests
{
    private static readonly JsonElement s_expected = JsonDocument.Parse(File.ReadAllText(CircuitFixtures.File("mean_ablation.json"))).RootElement;

    private static CircuitAblation Pair0(AblationKind kind = AblationKind.Mean, int seed = 0)
    {
        var data = CircuitFixtures.Batch().Slice(0, 1);
        var reference = PromptRows.Read(CircuitFixtures.File("reference.jsonl"), "prompt").Select(r => TinyGpt2.Model.ToTokens(r.Prompt, prependBos: false)).ToList();
        return new CircuitAblation(TinyGpt2.Model, data, kind, reference, seed: seed);
    }

    private static Circuit FixtureCircuit() => Circuit.Load(CircuitFixtures.File("circuit.json"), 3, 4);

    private static void Close(string key, double actual)
    {
        double e = s_expected.GetProperty(key).GetDouble();
        Assert.True(Math.Abs(actual - e) <= 1e-4 + 1e-3 * Math.Abs(e), $"{key}: {actual}, expected {e}");
    }

    [Fact]
    public void MeanAblationMatchesReference()
    {
        var ablation = Pair0();
        Close("F_model", ablation.F(Circuit.Full(3, 4)));
        Close("F_full_circuit", ablation.F(Circuit.Full(3, 4)));
        Close("F_circuit", ablation.F(FixtureCircuit()));
        Close("F_empty", ablation.F(new Circuit("empty", [])));
        Close("F_model", ActivationPatching.Baselines(TinyGpt2.Model, CircuitFixtures.Batch().Slice(0, 1)).Clean[0]);
    }

    [Fact]
    public void CheckReportsFaithfulnessCompletenessAndMinimality()
    {
        var result = CircuitCheck.Run(Pair0(), FixtureCircuit(), 3, 4, new CircuitCheckOptions { RandomSubsets = 2, GreedySteps = 2 });
        Close("F_model", result.FModel);
        Close("F_circuit", result.FCircuit);
        Close("F_empty", result.FEmpty);
        Assert.Equal(Math.Abs(result.FModel - result.FCircuit), result.Faithfulness, 12);
        Assert.Contains(result.Completeness, c => c.Kind == "class" && c.Label == "planted" && c.K.Count == 4);
        // K = the whole circuit: C∖K ablates every head
        var whole = result.Completeness.Single(c => c.Kind == "class");
        Assert.Equal(result.FEmpty, whole.FCircuitMinusK);
        Assert.Equal(2, result.Completeness.Count(c => c.Kind == "greedy"));
        Assert.True(result.Completeness.Where(c => c.Kind == "greedy").Select(c => c.K.Count).SequenceEqual([1, 2]));
        Assert.Equal(4, result.Minimality.Count);
        foreach (var m in result.Minimality) Assert.True(m.Score > 0, $"{m.Head}: removing a planted head changes F");
    }

    [Fact]
    public void FullModelAsCircuitIsExactlyFaithful()
    {
        var data = CircuitFixtures.Batch();
        foreach (var kind in new[] { AblationKind.Zero, AblationKind.Mean })
        {
            var reference = data.Clean.Lengths.Distinct().SelectMany(len => TinyGpt2.Pairs.Where(p => p.CorruptIds.Length == len).Select(p => p.CorruptIds)).ToList();
            var ablation = new CircuitAblation(TinyGpt2.Model, data, kind, reference);
            var result = CircuitCheck.Run(ablation, Circuit.Full(3, 4) , 3, 4, new CircuitCheckOptions { RandomSubsets = 0, GreedySteps = 0 });
            Assert.Equal(0, result.Faithfulness);
            Assert.Equal(ActivationPatching.Baselines(TinyGpt2.Model, data).Clean.Average(x => (double)x), result.FModel, 5);
        }
    }

    [Fact]
    public void ZeroAblationOfEveryHeadEqualsZeroingEveryZ()
    {
        var data = CircuitFixtures.Batch();
        var zeroed = new CircuitAblation(TinyGpt2.Model, data, AblationKind.Zero).Evaluate(new Circuit("none", []));
        var hooks = Enumerable.Range(0, 3).Select(l => new CircuitLens.Hooks.NamedHook($"blocks.{l}.attn.hook_z", (act, _) => act.Span.Clear()));
        var direct = data.Metric.FromLogits(TinyGpt2.Model.RunWithHooks(data.Clean, hooks, new() { Logits = CircuitLens.Model.LogitsMode.LastPosition }).Logits!);
        Assert.Equal(direct, zeroed);
    }

    [Fact]
    public void PositionsAndMlpListsAreHonoured()
    {
        var ablation = Pair0();
        // 2.0 reads 1.2's earlier positions through its keys and values
        var all = Circuit.Parse("""{"heads": [{"head": "1.2", "positions": "all"}, {"head": "2.0"}]}""", "t", 3, 4);
        var end = Circuit.Parse("""{"heads": [{"head": "1.2", "positions": ["end"]}, {"head": "2.0"}]}""", "t", 3, 4);
        var endNumeric = Circuit.Parse("""{"heads": [{"head": "1.2", "positions": [-1]}, {"head": "2.0"}]}""", "t", 3, 4);
        var none = new Circuit("none", []);
        Assert.Equal(ablation.F(end), ablation.F(endNumeric));
        Assert.NotEqual(ablation.F(all), ablation.F(end));
        Assert.NotEqual(ablation.F(none), ablation.F(end));
        var noMlps = Circuit.Parse("""{"heads": [{"head": "1.2"}, {"head": "2.0"}], "mlps": []}""", "t", 3, 4);
        var allMlps = Circuit.Parse("""{"heads": [{"head": "1.2"}, {"head": "2.0"}], "mlps": [0, 1, 2]}""", "t", 3, 4);
        Assert.Equal(ablation.F(all), ablation.F(allMlps));
        Assert.NotEqual(ablation.F(all), ablation.F(noMlps));
    }

    [Fact]
    public void ResampleUsesOneReferenceRowAndIsSeeded()
    {
        var a = Pair0(AblationKind.Resample, seed: 1).F(FixtureCircuit());
        Assert.Equal(a, Pair0(AblationKind.Resample, seed: 1).F(FixtureCircuit()));
        var reference = PromptRows.Read(CircuitFixtures.File("reference.jsonl"), "prompt").Select(r => TinyGpt2.Model.ToTokens(r.Prompt, prependBos: false)).ToList();
        var data = CircuitFixtures.Batch().Slice(0, 1);
        var candidates = reference.Select(r => new CircuitAblation(TinyGpt2.Model, data, AblationKind.Mean, [r]).F(FixtureCircuit())).ToList();
        Assert.Contains(candidates, c => Math.Abs(c - a) < 1e-9);
    }

    [Fact]
    public void BuiltinCircuitsParse()
    {
        var ioi = Circuit.Load("ioi-paper", 12, 12);
        Assert.Equal(26, ioi.Heads.Count);
        Assert.Equal(7, ioi.Classes.Count());
        Assert.Equal(["9.6", "9.9", "10.0"], ioi.Heads.Where(h => h.Class == "name mover").Select(h => h.Head).Order().Select(h => h.ToString()));
        var gt = Circuit.Load("greater-than", 12, 12);
        Assert.Equal([8, 9, 10, 11], gt.Mlps!);
        Assert.Equal(7, gt.Heads.Count);
        Assert.Equal(8, Circuit.Load("acronyms", 12, 12).Heads.Count);
        var again = Circuit.Parse(ioi.ToJson(), "round-trip", 12, 12);
        Assert.Equal(ioi.Heads.Select(h => (h.Head, h.Class, h.Positions.ToString())), again.Heads.Select(h => (h.Head, h.Class, h.Positions.ToString())));
        Assert.Throws<CircuitLensException>(() => Circuit.Load("ioi-paper", 3, 4));
    }
}
