// `circuitlens greater-than` as a library call: generate greater-than pairs → correctness filter →
// patch head z and MLP outputs (prob-diff metric) → attribution over MLP neurons of layers 8–11 with
// the strongest neurons re-measured exactly → the year-probability maps (clean vs circuit patched)
// → report.html. Every artefact goes into options.OutDir.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Reports;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.GreaterThan;

/// <param name="TopComponents">Heads ("L.H", head-z score) and MLP layers ("MLP L", mlp-out score at the last position), strongest first.</param>
public sealed record GreaterThanExperimentResult(string ReportPath, float MeanCleanProbDiff, float MeanCorruptProbDiff,
    IReadOnlyList<(string Name, float Score)> TopComponents, YearProbabilities Years, float CircuitProbDiff, IReadOnlyList<NeuronScore> Neurons);

public static class GreaterThanExperiment
{
    public static IReadOnlyList<Sweep> Sweeps { get; } = [Sweep.HeadZ, Sweep.MlpOut];

    /// <summary>Neuron layers examined (those of the reported MLPs that the model has).</summary>
    public static IReadOnlyList<int> NeuronLayers(int nLayers) => Enumerable.Range(8, 4).Where(l => l < nLayers).DefaultIfEmpty(nLayers - 1).Distinct().ToList();

    public const int NeuronsPerLayer = 10;

    public static GreaterThanExperimentResult Run(HookedTransformer model, ExperimentOptions options, CancellationToken ct = default)
    {
        var run = new TaskExperimentRun(model, options, "greater-than");
        var generated = GreaterThanDatasetGenerator.Generate(new GreaterThanDatasetOptions { N = options.N, Seed = options.Seed, Tokenizer = model.Tokenizer });
        var (pairs, kept) = run.Dataset(generated.Select(p => p.ToJson()), "greater-than pairs", GreaterThanPair.FromJson, "a greater-than row (no noun/century/yy)", ct: ct);

        var job = run.Patch(pairs, Sweeps, "pairs", ct);
        var results = job.Primary;
        var headZ = results.First(r => r.Sweep == Sweep.HeadZ); var mlpOut = results.First(r => r.Sweep == Sweep.MlpOut);
        var tokenized = pairs.Tokenize(model, options.PrependBos);
        string[]? positions = tokenized.Clean.All(c => c.Length == tokenized.Clean[0].Length)
            ? tokenized.Clean[0].Select((id, i) => $"{i}:{model.Tokenizer.TokenToString(id)}").ToArray() : null;
        var components = Components(headZ.NormalizedMean(), mlpOut.NormalizedMean());

        options.Log("[4/4] neurons, year probabilities, figures and report");
        var neurons = NeuronStep(run, pairs, ct);
        var circuit = GreaterThanCircuit.FitsReported(model.Config.NLayers, model.Config.NHeads) ? GreaterThanCircuit.Reported : Discovered(components, model.Config);
        var years = YearProbabilities.Compute(model, kept, options.PrependBos, circuit, ct: ct);
        WriteYearTables(run, years);

        var headMap = run.Map(headZ, job, pairs.Count);
        var mlpMap = run.Map(mlpOut, job, pairs.Count, positions);
        var yearMaps = YearMaps(years, circuit);
        string yearTitle = $"P(next token = YY') for start year YY · {run.ModelName} · {pairs.Count} prompts";
        run.WriteFigure("year-probabilities", yearMaps, yearTitle, columns: 1);

        float circuitProbDiff = years.MeanProbDiff(years.CircuitPatched);
        var report = run.NewReport("Greater-than (Hanna et al. 2023): \"The war lasted from the year 1732 to the year 17\" → the model should put its probability on two-digit years above 32. "
            + "Metric: prob-diff = Σ p(YY' > YY) − Σ p(YY' ≤ YY) at the last position; corrupted prompts start in XX01. Maps show (patched − corrupted)/(clean − corrupted), batch means: 1 = the component alone restores the clean behaviour.");
        run.AddRunFacts(report, "pairs", pairs.Count, [
            ("mean clean prob-diff", F(job.CleanMetric.Average())), ("mean corrupted prob-diff", F(job.CorruptMetric.Average())),
            ($"mean prob-diff, corrupted + {circuit.Name} patched in", F(circuitProbDiff)),
        ]);
        report.AddSection("Attention heads and MLPs");
        report.AddHeatmap(headMap, "Each head's z patched from the clean run into the corrupted (XX01) run, all positions.");
        report.AddHeatmap(mlpMap, "Each MLP layer's output patched at one position.");
        report.AddTable("Strongest components", ["component", "normalised score"], components.Take(15).Select(c => new[] { c.Name.StartsWith("MLP") ? c.Name : "head " + c.Name, F(c.Score) }));
        if (neurons.Count > 0)
        {
            var neuronLayers = neurons.Select(n => n.Layer).Distinct().ToList();
            report.AddSection($"MLP neurons ({(neuronLayers.Count == 1 ? "layer" : "layers")} {string.Join(", ", neuronLayers)})");
            report.AddParagraph($"Attribution patching over every neuron of mlp.hook_post; the {NeuronsPerLayer} strongest of each layer (by |attribution|) re-measured exactly (that neuron's clean activation at every position).");
            report.AddTable("Strongest neurons", ["neuron", "attribution", "exact"], neurons.Select(n => new[] { $"{n.Layer}.{n.Neuron}", F(n.Attribution), F(n.Exact) }));
        }
        report.AddSection("Year probabilities");
        report.AddParagraph($"Rows: start year YY; columns: the next token YY'. Top: clean prompts. Middle: corrupted prompts with the circuit patched in from the clean run ({circuit}). Bottom: corrupted prompts. A model that computes greater-than puts its mass right of the diagonal YY' = YY.");
        foreach (var map in yearMaps) report.AddHeatmap(map with { Subtitle = yearTitle });
        run.CheckBuiltinCircuit(report, pairs, "greater-than", ct);

        string reportPath = run.Finish(report, pairs, job, new JsonObject
        {
            ["top_components"] = new JsonArray(components.Take(15).Select(c => (JsonNode)new JsonObject { ["component"] = c.Name, ["score"] = c.Score }).ToArray()),
            ["circuit"] = circuit.ToString(),
            ["mean_prob_diff_circuit_patched"] = circuitProbDiff,
            ["neurons"] = new JsonArray(neurons.Select(n => (JsonNode)new JsonObject { ["layer"] = n.Layer, ["neuron"] = n.Neuron, ["attribution"] = n.Attribution, ["exact"] = n.Exact }).ToArray()),
        });
        return new GreaterThanExperimentResult(reportPath, job.CleanMetric.Average(), job.CorruptMetric.Average(), components, years, circuitProbDiff, neurons);
    }

    /// <summary>Heads by their head-z score and MLP layers by their mlp-out score at the last position, strongest first.</summary>
    public static IReadOnlyList<(string Name, float Score)> Components(Tensor headZ, Tensor mlpOut)
    {
        var list = ExperimentSteps.RankHeads(headZ).ToList();
        int last = mlpOut.Dim(1) - 1;
        for (int l = 0; l < mlpOut.Dim(0); l++) if (!float.IsNaN(mlpOut[l, last])) list.Add(($"MLP {l}", mlpOut[l, last]));
        return list.OrderByDescending(c => c.Score).ToList();
    }

    // For a model that is not GPT-2 small: the run's own 7 strongest heads and the MLP layers among its strongest components.
    private static GreaterThanCircuit Discovered(IReadOnlyList<(string Name, float Score)> components, Gpt2Config cfg)
    {
        var heads = components.Where(c => !c.Name.StartsWith("MLP")).Take(Math.Min(7, cfg.NLayers * cfg.NHeads))
            .Select(c => c.Name.Split('.')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
        var mlps = components.Where(c => c.Name.StartsWith("MLP")).Take(Math.Min(4, cfg.NLayers))
            .Select(c => int.Parse(c.Name[4..], CultureInfo.InvariantCulture)).Order().ToList();
        return new GreaterThanCircuit("this run's strongest components", heads, mlps);
    }

    private static IReadOnlyList<NeuronScore> NeuronStep(TaskExperimentRun run, Tasks.Pairs.PairSet pairs, CancellationToken ct)
    {
        var layers = NeuronLayers(run.Model.Config.NLayers);
        var neurons = NeuronPatching.AttributeAndRemeasure(run.Model, pairs.Tokenize(run.Model, run.Options.PrependBos).ToPatchingBatch(), layers, NeuronsPerLayer, ct);
        var csv = new StringBuilder("layer,neuron,attribution_normalized,exact_normalized\n");
        foreach (var n in neurons) csv.Append(CultureInfo.InvariantCulture, $"{n.Layer},{n.Neuron},{G(n.Attribution)},{G(n.Exact)}\n");
        run.WriteText("neurons.csv", csv.ToString());
        return neurons;
    }

    private static IReadOnlyList<Heatmap> YearMaps(YearProbabilities years, GreaterThanCircuit circuit)
    {
        var rows = years.StartYears.Select(y => y.ToString("D2", CultureInfo.InvariantCulture)).ToArray();
        var cols = GreaterThanVocabulary.TwoDigitTokens.ToArray();
        float limit = Math.Max(1e-6f, new[] { years.Clean, years.CircuitPatched, years.Corrupt }.Max(t => t.Data.Max()));
        Heatmap Map(string title, Tensor t) => new(title, PatchingFigures.To2D(t), rows, cols)
        {
            RowAxisTitle = "start year YY", ColumnAxisTitle = "next token YY'", Scale = ColorScale.Sequential, Limit = limit, ValueLabel = "probability",
        };
        return [Map("clean", years.Clean), Map($"corrupted + circuit patched in", years.CircuitPatched), Map("corrupted (XX01)", years.Corrupt)];
    }

    private static void WriteYearTables(TaskExperimentRun run, YearProbabilities years)
    {
        foreach (var (name, t) in new[] { ("clean", years.Clean), ("circuit_patched", years.CircuitPatched), ("corrupt", years.Corrupt) })
            run.WriteNpy($"year_probabilities_{name}", t);
        var csv = new StringBuilder("start_year,next_year,p_clean,p_circuit_patched,p_corrupt\n");
        for (int r = 0; r < years.StartYears.Length; r++)
            for (int y = 0; y < 100; y++)
                csv.Append(CultureInfo.InvariantCulture, $"{years.StartYears[r]},{y},{G(years.Clean[r, y])},{G(years.CircuitPatched[r, y])},{G(years.Corrupt[r, y])}\n");
        run.WriteText("year_probabilities.csv", csv.ToString());
    }

    // CSV: full float precision
    private static string G(float v) => float.IsNaN(v) ? "nan" : v.ToString("G7", CultureInfo.InvariantCulture);

    private static string F(double v) => double.IsNaN(v) ? "nan" : v.ToString(v != 0 && Math.Abs(v) < 1e-3 ? "0.###e0" : "0.####", CultureInfo.InvariantCulture);
}
