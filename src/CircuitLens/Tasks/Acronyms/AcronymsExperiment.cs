// `circuitlens acronyms` as a library call: generate acronym prompts (three rows per acronym) →
// keep the acronyms the model gets right at all three letters → patch every head's z
// (logit-diff-to-max over the 26 capital letters) → one head map per step (the prompt ending at
// " (", A1, A2) and their mean → report.html. Every artefact goes into options.OutDir.
using System.Globalization;
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Reports;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Acronyms;

/// <param name="StepMaps">[layer, head] normalised head-z maps of steps 1, 2, 3, then their mean.</param>
public sealed record AcronymsExperimentResult(string ReportPath, IReadOnlyList<Tensor> StepMaps, float[] MeanCleanMetricPerStep, float[] MeanCorruptMetricPerStep)
{
    /// <summary>The heads of a step (1..3; 4 = the mean) by normalised score, strongest first.</summary>
    public IReadOnlyList<(string Name, float Score)> TopHeads(int step) => ExperimentSteps.RankHeads(StepMaps[step - 1]);
}

public static class AcronymsExperiment
{
    public static IReadOnlyList<Sweep> Sweeps { get; } = [Sweep.HeadZ];

    public static AcronymsExperimentResult Run(HookedTransformer model, ExperimentOptions options, CancellationToken ct = default)
    {
        var run = new TaskExperimentRun(model, options, "acronyms");
        var dataset = AcronymDatasetGenerator.Generate(new AcronymDatasetOptions { N = options.N, Seed = options.Seed, Tokenizer = model.Tokenizer });
        if (dataset.DroppedNouns.Count > 0) options.Log($"dropped {dataset.DroppedNouns.Count} noun(s) that are not \" X\" + one token for this tokenizer");
        var (pairs, rows) = run.Dataset(dataset.Pairs.Select(p => p.ToJson()), $"rows ({options.N} acronyms × 3 letters)", AcronymPair.FromJson, "an acronym row",
            group: r => r.Group, ct: ct);

        var job = run.Patch(pairs, Sweeps, "rows", ct);
        var headZ = job.Primary[0];

        options.Log("[4/4] per-step maps and report");
        var stepResults = Enumerable.Range(1, 3).Select(s => ExperimentSteps.Pick(headZ, Enumerable.Range(0, rows.Count).Where(i => rows[i].Step == s).ToList())).ToList();
        var stepMaps = stepResults.Select(r => r.NormalizedMean()).ToList();
        var mean = Tensor.Zeros(stepMaps[0].Shape);
        for (int i = 0; i < mean.Length; i++) mean.Data[i] = stepMaps.Average(m => m.Data[i]);
        stepMaps.Add(mean);
        for (int s = 0; s < 4; s++)
            run.WriteNpy(s < 3 ? $"head-z_step{s + 1}_normalized_mean" : "head-z_steps_mean_normalized_mean", stepMaps[s]);

        int groups = rows.Select(r => r.Group).Distinct().Count();
        var maps = stepMaps.Select((m, s) => Heatmap.LayerHead(s < 3 ? $"letter {s + 1} (after {StepEnd(s + 1)})" : "mean of the letters", PatchingFigures.To2D(m))
            with { ValueLabel = "normalised logit diff to max", Annotate = m.Length <= 64 }).ToList();
        string title = $"Head z patching per letter · {run.ModelName} · {groups} acronyms · {run.Method(job)}";
        run.WriteFigure("head-z-by-step", maps, title);

        var cleanPerStep = stepResults.Select(r => r.CleanMetric.Average()).ToArray();
        var corruptPerStep = stepResults.Select(r => r.CorruptMetric.Average()).ToArray();
        var report = run.NewReport("Acronyms (García-Carrasco et al. 2024): \"The Ketchup Lark Wreck (KL\" → W. Each acronym gives three prompts, one per letter; "
            + "the corruption gives that letter's word another capital. Metric: logit(correct letter) − max logit of the other 25 capital letters. "
            + "Maps: each head's z patched from the clean run into the corrupted one, (patched − corrupted)/(clean − corrupted), batch means.");
        run.AddRunFacts(report, "acronyms", groups,
            Enumerable.Range(0, 3).Select(s => ($"letter {s + 1}: mean clean / corrupted metric", $"{F(cleanPerStep[s])} / {F(corruptPerStep[s])}")),
            filterNote: " (all three letters)");
        report.AddHeatmapGrid(maps, title);
        for (int s = 1; s <= 4; s++)
            report.AddTable(s < 4 ? $"Strongest heads, letter {s}" : "Strongest heads, mean of the letters", ["head", "normalised score"],
                ExperimentSteps.RankHeads(stepMaps[s - 1]).Take(8).Select(h => new[] { h.Name, F(h.Score) }));
        run.CheckBuiltinCircuit(report, pairs, "acronyms", ct);

        string reportPath = run.Finish(report, pairs, job, new JsonObject
        {
            ["acronyms"] = groups,
            ["mean_clean_metric_per_step"] = new JsonArray(cleanPerStep.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            ["mean_corrupt_metric_per_step"] = new JsonArray(corruptPerStep.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            ["top_heads_step3"] = TaskExperimentRun.HeadsJson(stepMaps[2], 8),
        });
        return new AcronymsExperimentResult(reportPath, stepMaps, cleanPerStep, corruptPerStep);
    }

    private static string StepEnd(int step) => step switch { 1 => "\" (\"", 2 => "A1", _ => "A2" };

    private static string F(double v) => TaskExperimentRun.Number(v);
}
