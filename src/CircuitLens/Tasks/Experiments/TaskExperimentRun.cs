// One task experiment's run, the frame the three tasks (greater-than, acronyms, induction) share:
// the generated rows written, read back as the task's own rows and filtered by correctness; the
// patching stage with its progress line; the report's frame (title and description, the run facts
// every task lists, the built-in circuit check); report.html and run.json last. Every artefact it
// or the task writes into the run directory is recorded in Files, which run.json lists. The task
// supplies its dataset, sweeps, analyses and figures; the stages themselves are ExperimentSteps'.
using System.Globalization;
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Reports;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Experiments;

public sealed class TaskExperimentRun
{
    public HookedTransformer Model { get; }
    public ExperimentOptions Options { get; }
    /// <summary>The task's name ("greater-than", …): run.json's "task", the patching report's title.</summary>
    public string Task { get; }
    /// <summary>Every file written so far (full paths), in order; run.json lists them relative to the run directory.</summary>
    public List<string> Files { get; } = [];

    /// <summary>Moves <paramref name="model"/> to <see cref="ExperimentOptions.Device"/>, when given (weights uploaded once), before any stage runs.</summary>
    public TaskExperimentRun(HookedTransformer model, ExperimentOptions options, string task)
    {
        Model = options.Device is { } device ? model.To(device) : model; Options = options; Task = task;
    }

    public string Dir => Options.OutDir;
    public string ModelName => ExperimentSteps.ModelName(Model, Options);

    /// <summary>Stages 1 and 2: writes the generated rows to pairs.jsonl, reads each back as the task's row (<paramref name="parse"/>; null:
    /// "not a <paramref name="rowKind"/>" naming the line) and keeps those the correctness filter passes — with <paramref name="group"/>, only
    /// rows whose whole group passes. Returns the kept pairs and their task rows, in the same order.</summary>
    public (PairSet Pairs, IReadOnlyList<TRow> Rows) Dataset<TRow>(IEnumerable<JsonObject> generated, string what, Func<JsonObject, TRow?> parse, string rowKind,
        Func<TRow, int>? group = null, CancellationToken ct = default) where TRow : class
    {
        var pairs = ExperimentSteps.WritePairs(Options, generated, what);
        var rows = pairs.Rows.Select(r => parse(r.Fields) ?? throw new CircuitLensException($"{pairs.Source}:{r.Line}: not {rowKind}")).ToList();
        var kept = ExperimentSteps.Filter(Model, pairs, Options, group is null ? null : i => group(rows[i]), ct);
        return (kept, kept.Rows.Select(r => parse(r.Fields)!).ToList());
    }

    /// <summary>Stage 3: patches <paramref name="sweeps"/> over the kept pairs into patching/ (see ExperimentSteps.Patch); <paramref name="unit"/>
    /// names the rows in the progress line ("pairs", "rows").</summary>
    public PatchingJobResult Patch(PairSet pairs, IReadOnlyList<Sweep> sweeps, string unit, CancellationToken ct = default)
    {
        Options.Log($"[3/4] patching {pairs.Count} {unit}: {string.Join(", ", sweeps.Select(s => s.Name))} ({Options.Method.ToString().ToLowerInvariant()}, {pairs.Metric})");
        var patching = ExperimentSteps.Patch(Model, pairs, sweeps, Options, Task, ct);
        Files.AddRange(patching.Files);
        return patching.Job;
    }

    /// <summary>The method the maps show: "attribution" when no exact sweep ran, "exact" when both ran (the maps are exact's), else the run's.</summary>
    public string Method(PatchingJobResult job) =>
        job.Exact.Count == 0 ? "attribution" : Options.Method == PatchingMethod.Both ? "exact" : Options.Method.ToString().ToLowerInvariant();

    /// <summary>The map of a sweep result as the patch command draws it, for this run's model and method.</summary>
    public Heatmap Map(PatchingResult result, PatchingJobResult job, int pairs, string[]? positionLabels = null) =>
        ExperimentSteps.Map(result, Model, Options, pairs, Method(job), positionLabels);

    /// <summary>report.html's frame: "CircuitLens · task · model" and the task's description.</summary>
    public HtmlReport NewReport(string description)
    {
        var report = new HtmlReport($"CircuitLens · {Task} · {ModelName}");
        report.AddParagraph(description);
        return report;
    }

    /// <summary>The "Run" table every task shows: model, BOS, <paramref name="unit"/>s generated and patched, filter, the run's method, the task's own facts, run directory.</summary>
    public void AddRunFacts(HtmlReport report, string unit, int patched, IEnumerable<(string Key, string Value)> taskFacts, string filterNote = "")
    {
        report.AddKeyValues("Run", [
            ("model", ModelName), ("prepend BOS", Options.PrependBos ? "yes" : "no"), ($"{unit} generated", Options.N.ToString(CultureInfo.InvariantCulture)),
            ($"{unit} patched", patched.ToString(CultureInfo.InvariantCulture)), ("correctness filter", ExperimentSteps.FilterName(Options) + filterNote), ("method", Options.Method.ToString().ToLowerInvariant()),
            .. taskFacts,
            ("run directory", Path.GetFullPath(Dir)),
        ]);
    }

    /// <summary>The built-in circuit <paramref name="circuit"/> checked on the kept pairs (circuit/check-NAME.json) and its report section.</summary>
    public void CheckBuiltinCircuit(HtmlReport report, PairSet pairs, string circuit, CancellationToken ct = default)
    {
        Options.Log($"circuit check of the built-in {circuit} circuit");
        var check = BuiltinCircuitCheckStep.Run(Model, pairs, Options.PrependBos, circuit, Dir, ct: ct);
        BuiltinCircuitCheckStep.AddTo(report, check);
        if (check.Result is not null) Files.Add(Path.Combine(Dir, "circuit", $"check-{circuit}.json"));
    }

    /// <summary>Writes DIR/<paramref name="name"/>.npy.</summary>
    public void WriteNpy(string name, Tensor tensor)
    {
        string path = Path.Combine(Dir, name + ".npy");
        NpyFile.Write(path, tensor);
        Files.Add(path);
    }

    /// <summary>Writes DIR/<paramref name="fileName"/> (atomically).</summary>
    public void WriteText(string fileName, string text)
    {
        string path = Path.Combine(Dir, fileName);
        AtomicFile.WriteAllText(path, text);
        Files.Add(path);
    }

    /// <summary>Writes DIR/<paramref name="stem"/>.svg and .png of one map, or of several side by side.</summary>
    public void WriteFigure(string stem, IReadOnlyList<Heatmap> maps, string title, int columns = 4) =>
        ExperimentSteps.WriteFigure(Path.Combine(Dir, stem), maps, title, Files, columns);

    /// <summary>The last stage: report.html, then run.json (listing every file, the task's numbers in <paramref name="results"/>). Returns the report's path.</summary>
    public string Finish(HtmlReport report, PairSet pairs, PatchingJobResult job, JsonObject results)
    {
        string reportPath = Path.Combine(Dir, "report.html");
        report.Save(reportPath);
        Files.Add(reportPath);
        ExperimentSteps.WriteRunJson(Model, Options, Task, pairs, job, results, Files);
        return reportPath;
    }

    /// <summary>The strongest heads of a [layer, head] map as run.json lists them: [{"head": "L.H", "score": s}, …].</summary>
    public static JsonArray HeadsJson(Tensor map, int count) =>
        new(ExperimentSteps.RankHeads(map).Take(count).Select(h => (JsonNode)new JsonObject { ["head"] = h.Name, ["score"] = h.Score }).ToArray());

    /// <summary>A number for the report's tables: three decimals, "nan" when undefined.</summary>
    public static string Number(double v) => double.IsNaN(v) ? "nan" : v.ToString("0.###", CultureInfo.InvariantCulture);
}
