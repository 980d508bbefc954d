// The IOI paper's three circuit criteria, F = mean metric over the pairs' clean prompts with
// everything outside the named set ablated (CircuitAblation):
//   faithfulness  |F(M) − F(C)|;
//   completeness  |F(C∖K) − F(M∖K)| for K = each class, random subsets of C (each head in with
//                 probability ½) and a greedy search that grows K one head at a time, maximising it;
//   minimality    per head v: max over K ∈ {∅, v's class ∖ {v}} of |F(C∖(K∪{v})) − F(C∖K)|.
using CircuitLens.Patching;

namespace CircuitLens.Circuits;

public sealed record CircuitCheckOptions
{
    public int RandomSubsets { get; init; } = 5;
    public int GreedySteps { get; init; } = 3;
    public int Seed { get; init; }
}

/// <summary>One completeness test: K, F(C∖K), F(M∖K) and the score |F(C∖K) − F(M∖K)|.</summary>
public sealed record CompletenessEntry(string Kind, string Label, IReadOnlyList<HeadId> K, double FCircuitMinusK, double FModelMinusK)
{
    public double Score => Math.Abs(FCircuitMinusK - FModelMinusK);
}

/// <summary>One head's minimality: the K used, F(C∖K), F(C∖(K∪{v})) and the score.</summary>
public sealed record MinimalityEntry(HeadId Head, string Class, IReadOnlyList<HeadId> K, double FCircuitMinusK, double FCircuitMinusKAndHead)
{
    public double Score => Math.Abs(FCircuitMinusK - FCircuitMinusKAndHead);
}

public sealed record CircuitCheckResult(double FModel, double FCircuit, double FEmpty, float[] PerPairModel, float[] PerPairCircuit,
    IReadOnlyList<CompletenessEntry> Completeness, IReadOnlyList<MinimalityEntry> Minimality)
{
    public double Faithfulness => Math.Abs(FModel - FCircuit);
    /// <summary>F(C)/F(M): the paper's "the circuit recovers x % of the model's performance".</summary>
    public double Recovered => FCircuit / FModel;
}

public static class CircuitCheck
{
    public static CircuitCheckResult Run(CircuitAblation ablation, Circuit circuit, int nLayers, int nHeads, CircuitCheckOptions? options = null,
        IProgress<PatchingProgress>? progress = null, CancellationToken ct = default)
    {
        options ??= new CircuitCheckOptions();
        var model = Circuit.Full(nLayers, nHeads);
        var cache = new Dictionary<string, double>();
        long done = 0;
        long total = 3 + 2L * (circuit.Classes.Count() + options.RandomSubsets + (long)options.GreedySteps * circuit.Heads.Count) + 4L * circuit.Heads.Count;
        double F(Circuit c, string key)
        {
            if (cache.TryGetValue(key, out double v)) return v;
            v = ablation.F(c, ct);
            progress?.Report(new PatchingProgress("circuit check", ++done, total));
            return cache[key] = v;
        }
        string Key(string what, IEnumerable<HeadId> k) => what + ":" + string.Join(",", k.Order());

        var perModel = ablation.Evaluate(model, ct);
        var perCircuit = ablation.Evaluate(circuit, ct);
        double fModel = perModel.Average(x => (double)x), fCircuit = perCircuit.Average(x => (double)x);
        cache[Key("C", [])] = fCircuit; cache[Key("M", [])] = fModel;
        double fEmpty = F(new Circuit("empty", [], circuit.Mlps is null ? null : []), "empty");

        CompletenessEntry Complete(string kind, string label, IReadOnlyList<HeadId> k) =>
            new(kind, label, k, F(circuit.Without(k), Key("C", k)), F(model.Without(k), Key("M", k)));

        var completeness = new List<CompletenessEntry>();
        foreach (var cls in circuit.Classes)
            completeness.Add(Complete("class", cls, circuit.Heads.Where(h => h.Class == cls).Select(h => h.Head).ToList()));
        var rng = new Random(options.Seed);
        for (int i = 0; i < options.RandomSubsets && circuit.Heads.Count > 0; i++)
        {
            var k = circuit.Heads.Where(_ => rng.Next(2) == 0).Select(h => h.Head).ToList();
            completeness.Add(Complete("random", $"random {i + 1}", k));
        }
        var greedy = new List<HeadId>();
        for (int step = 0; step < options.GreedySteps && greedy.Count < circuit.Heads.Count; step++)
        {
            CompletenessEntry? best = null;
            foreach (var h in circuit.Heads.Where(h => !greedy.Contains(h.Head)))
            {
                var entry = Complete("greedy", $"greedy step {step + 1}", [.. greedy, h.Head]);
                if (best is null || entry.Score > best.Score) best = entry;
            }
            greedy = [.. best!.K];
            completeness.Add(best);
        }

        var minimality = new List<MinimalityEntry>();
        foreach (var v in circuit.Heads)
        {
            MinimalityEntry? best = null;
            var options2 = new List<IReadOnlyList<HeadId>> { Array.Empty<HeadId>() };
            var rest = circuit.Heads.Where(h => h.Class == v.Class && h.Head != v.Head).Select(h => h.Head).ToList();
            if (rest.Count > 0) options2.Add(rest);
            foreach (var k in options2)
            {
                var entry = new MinimalityEntry(v.Head, v.Class, k, F(circuit.Without(k), Key("C", k)), F(circuit.Without([.. k, v.Head]), Key("C", [.. k, v.Head])));
                if (best is null || entry.Score > best.Score) best = entry;
            }
            minimality.Add(best!);
        }
        return new CircuitCheckResult(fModel, fCircuit, fEmpty, perModel, perCircuit, completeness, minimality);
    }
}
