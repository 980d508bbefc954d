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
        var files = new List<string>();
        string dir = options.OutDir;
        var dataset = AcronymDatasetGenerator.Generate(new AcronymDatasetOptions { N = options.N, Seed = options.Seed, Tokenizer = model.Tokenizer });
        if (dataset.DroppedNouns.Count > 0) options.Log($"dropped {dataset.DroppedNouns.Count} noun(s) that are not \" X\" + one token for this tokenizer");
        var pairs = ExperimentSteps.WritePairs(options, dataset.Pairs.Select(p => p.ToJson()), $"rows ({options.N} acronyms × 3 letters)");
        var rows = pairs.Rows.Select(r => AcronymPair.FromJson(r.Fields) ?? throw new CircuitLensException($"{pairs.Source}:{r.Line}: not an acronym row")).ToList();
        pairs = ExperimentSteps.Filter(model, pairs, options, group: i => rows[i].Group, ct: ct);
        rows = pairs.Rows.Select(r => AcronymPair.FromJson(r.Fields)!).ToList();

        options.Log($"[3/4] patching {pairs.Count} rows: head-z ({options.Method.ToString().ToLowerInvariant()}, logit-diff-to-max)");
        var patching = ExperimentSteps.Patch(model, pairs, Sweeps, options, "acronyms", ct);
        files.AddRange(patching.Files);
        var job = patching.Job;
        var headZ = job.Primary[0];
        string method = job.Exact.Count > 0 ? options.Method.ToString().ToLowerInvariant() : "attribution";

        options.Log("[4/4] per-step maps and report");
        var stepResults = Enumerable.Range(1, 3).Select(s => ExperimentSteps.Pick(headZ, Enumerable.Range(0, rows.Count).Where(i => rows[i].Step == s).ToList())).ToList();
        var stepMaps = stepResults.Select(r => r.NormalizedMean()).ToList();
        var mean = Tensor.Zeros(stepMaps[0].Shape);
        for (int i = 0; i < mean.Length; i++) mean.Data[i] = stepMaps.Average(m => m.Data[i]);
        stepMaps.Add(mean);
        for (int s = 0; s < 4; s++)
        {
            string path = Path.Combine(dir, s < 3 ? $"head-z_step{s + 1}_normalized_mean.npy" : "head-z_steps_mean_normalized_mean.npy");
            NpyFile.Write(path, stepMaps[s]);
            files.Add(path);
        }

        string modelName = ExperimentSteps.ModelName(model, options);
        int groups = rows.Select(r => r.Group).Distinct().Count();
        var maps = stepMaps.Select((m, s) => Heatmap.LayerHead(s < 3 ? $"letter {s + 1} (after {StepEnd(s + 1)})" : "mean of the letters", PatchingFigures.To2D(m))
            with { ValueLabel = "normalised logit diff to max", Annotate = m.Length <= 64 }).ToList();
        string title = $"Head z patching per letter · {modelName} · {groups} acronyms · {method}";
        ExperimentSteps.WriteFigure(Path.Combine(dir, "head-z-by-step"), maps, title, files);

        var cleanPerStep = stepResults.Select(r => r.CleanMetric.Average()).ToArray();
        var corruptPerStep = stepResults.Select(r => r.CorruptMetric.Average()).ToArray();
        var report = new HtmlReport($"CircuitLens · acronyms · {modelName}");
        report.AddParagraph("Acronyms (García-Carrasco et al. 2024): \"The Ketchup Lark Wreck (KL\" → W. Each acronym gives three prompts, one per letter; "
            + "the corruption gives that letter's word another capital. Metric: logit(correct letter) − max logit of the other 25 capital letters. "
            + "Maps: each head's z patched from the clean run into the corrupted one, (patched − corrupted)/(clean − corrupted), batch means.");
        report.AddKeyValues("Run", [
            ("model", modelName), ("prepend BOS", options.PrependBos ? "yes" : "no"), ("acronyms generated", options.N.ToString(CultureInfo.InvariantCulture)),
            ("acronyms patched", groups.ToString(CultureInfo.InvariantCulture)), ("correctness filter", ExperimentSteps.FilterName(options) + " (all three letters)"), ("method", method),
            .. Enumerable.Range(0, 3).Select(s => ($"letter {s + 1}: mean clean / corrupted metric", $"{F(cleanPerStep[s])} / {F(corruptPerStep[s])}")),
            ("run directory", Path.GetFullPath(dir)),
        ]);
        report.AddHeatmapGrid(maps, title);
        for (int s = 1; s <= 4; s++)
            report.AddTable(s < 4 ? $"Strongest heads, letter {s}" : "Strongest heads, mean of the letters", ["head", "normalised score"],
                ExperimentSteps.RankHeads(stepMaps[s - 1]).Take(8).Select(h => new[] { h.Name, F(h.Score) }));
        options.Log("circuit check of the built-in acronyms circuit");
        var check = BuiltinCircuitCheckStep.Run(model, pairs, options.PrependBos, "acronyms", dir, ct: ct);
        BuiltinCircuitCheckStep.AddTo(report, check);
        if (check.Result is not null) files.Add(Path.Combine(dir, "circuit", "check-acronyms.json"));
        string reportPath = Path.Combine(dir, "report.html");
        report.Save(reportPath);
        files.Add(reportPath);

        var extra = new JsonObject
        {
            ["acronyms"] = groups,
            ["mean_clean_metric_per_step"] = new JsonArray(cleanPerStep.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            ["mean_corrupt_metric_per_step"] = new JsonArray(corruptPerStep.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
            ["top_heads_step3"] = new JsonArray(ExperimentSteps.RankHeads(stepMaps[2]).Take(8).Select(h => (JsonNode)new JsonObject { ["head"] = h.Name, ["score"] = h.Score }).ToArray()),
        };
        ExperimentSteps.WriteRunJson(model, options, "acronyms", pairs, job, extra, files);
        return new AcronymsExperimentResult(reportPath, stepMaps, cleanPerStep, corruptPerStep);
    }

    private static string StepEnd(int step) => step switch { 1 => "\" (\"", 2 => "A1", _ => "A2" };

    private static string F(double v) => double.IsNaN(v) ? "nan" : v.ToString("0.###", CultureInfo.InvariantCulture);
}
