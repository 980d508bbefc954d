// The stages every task experiment shares, each saving its artefact in the run directory before the
// next starts: write the generated rows (pairs.jsonl, read back through the pair-file reader so the
// experiment sees exactly what a user's `patch --pairs` would), filter by correctness (kept.jsonl,
// filter_model.json), patch (the arrays of PatchingOutputs), and run.json. The tasks add their own
// analyses and figures; the engines know nothing of tasks.
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Reports;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Experiments;

public static class ExperimentSteps
{
    public static string ModelName(HookedTransformer model, ExperimentOptions options) => options.ModelName ?? model.Config.ModelName;

    /// <summary>Writes the generated rows to pairs.jsonl and reads them back as a pair set.</summary>
    public static PairSet WritePairs(ExperimentOptions options, IEnumerable<JsonObject> rows, string what)
    {
        Directory.CreateDirectory(options.OutDir);
        string path = Path.Combine(options.OutDir, "pairs.jsonl");
        TaskJsonl.Write(path, rows);
        var pairs = PairFile.Read(path);
        options.Log($"[1/4] dataset: {pairs.Count} {what} → {path}");
        return pairs;
    }

    /// <summary>The correctness filter stage (kept.jsonl, filter_model.json); with <paramref name="group"/> (row index → group key)
    /// a row is kept only when every row of its group is right. An empty result is a user error that keeps the stage's files.</summary>
    public static PairSet Filter(HookedTransformer model, PairSet pairs, ExperimentOptions options, Func<int, int>? group = null, CancellationToken ct = default)
    {
        if (options.Filter is not { } mode) { options.Log("[2/4] correctness filter: skipped (--filter none)"); return pairs; }
        var result = CorrectnessFilter.Run(model, pairs.Tokenize(model, options.PrependBos), mode, ct: ct);
        if (group is not null)
        {
            var failed = result.Verdicts.Where(v => !v.Kept).Select(v => group(v.Row - 1)).ToHashSet();
            var verdicts = result.Verdicts.Select(v => v.Kept && failed.Contains(group(v.Row - 1)) ? v with { Kept = false, Reason = OtherRowOfGroupWrong } : v).ToList();
            result = new CorrectnessFilterResult(pairs, verdicts.Where(v => v.Kept).Select(v => pairs.Rows[v.Row - 1]).ToList(), verdicts);
        }
        string reportPath = Path.Combine(options.OutDir, "filter_model.json");
        var report = CorrectnessStage.Report(result, mode, options.PrependBos);
        if (group is not null) report["group_rule"] = $"{OtherRowOfGroupWrong}: {GroupRuleDescription}";
        PairFile.Write(Path.Combine(options.OutDir, "kept.jsonl"), result.Kept);
        AtomicFile.WriteAllText(reportPath, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        options.Log($"[2/4] correctness filter ({(mode == CorrectnessMode.Top1 ? "top1" : "sign")}): kept {result.Kept.Count} of {pairs.Count}"
            + string.Concat(result.ReasonCounts.Select(kv => $"; {kv.Key}: {kv.Value}")));
        if (result.Kept.Count == 0)
            throw new CircuitLensException($"the dataset is empty after the correctness filter: the model got no row right (see {reportPath}); try a looser --filter (sign, none) or a larger model");
        return pairs.Subset(result.Verdicts.Where(v => v.Kept).Select(v => v.Row - 1));
    }

    public const string OtherRowOfGroupWrong = "another_row_of_the_group_wrong";
    private const string GroupRuleDescription = "right here, but wrong at another row of the same group (an acronym's other letters)";

    /// <summary>The patching stage (core's PatchExperiment) into &lt;run&gt;/patching/: the sweeps' arrays, their maps, its own report and run.json.
    /// Its chunks follow the memory plan; a shard (<see cref="ExperimentOptions.Shard"/>) computes its slice and ends the experiment here;
    /// a merged run (<see cref="ExperimentOptions.MergedPatching"/>) writes the shards' joined results instead of patching.</summary>
    public static PatchExperimentResult Patch(HookedTransformer model, PairSet pairs, IReadOnlyList<Sweep> sweeps, ExperimentOptions options, string task, CancellationToken ct = default)
    {
        var stage = new PatchExperimentOptions
        {
            Sweeps = sweeps, Method = options.Method, ChunkSize = options.ChunkSize, MarkIoiHeads = false, Title = $"{task} · activation patching",
        };
        string dir = Path.Combine(options.OutDir, "patching");
        if (options.MergedPatching is { } merged)
        {
            ShardedExperiment.CheckSameDataset(pairs, merged);
            return PatchExperiment.WriteOutputs(model, pairs, options.PrependBos, dir, merged.Options with { MarkIoiHeads = false, Title = stage.Title }, merged.Job, TimeSpan.Zero);
        }
        (stage, var plan) = PatchMemory.Apply(model, pairs, options.PrependBos, stage, model.Device, options.MaxMemoryBytes);
        options.Log(plan.Summary);
        if (options.Shard is { } shard) ShardedExperiment.FinishShard(model, pairs, options, stage, shard, options.Progress, ct);
        var result = PatchExperiment.Run(model, pairs, options.PrependBos, dir, stage, options.Progress, ct);
        foreach (var note in result.Notes) options.Log(note);
        return result;
    }

    public static string FilterName(ExperimentOptions options) => options.Filter switch { CorrectnessMode.Top1 => "top1", CorrectnessMode.Sign => "sign", _ => "none" };

    /// <summary>The results of the given batch rows only (e.g. one acronym step), same sweep and metric.</summary>
    public static PatchingResult Pick(PatchingResult result, IReadOnlyList<int> rows)
    {
        int per = result.Patched.Length / result.BatchSize;
        var shape = (int[])result.Patched.Shape.Clone();
        shape[0] = rows.Count;
        var patched = Tensor.Zeros(shape);
        for (int i = 0; i < rows.Count; i++) result.Patched.Slice(rows[i]).CopyTo(patched.Slice(i));
        return new PatchingResult(result.Sweep, patched, rows.Select(r => result.CleanMetric[r]).ToArray(), rows.Select(r => result.CorruptMetric[r]).ToArray(), result.Metric);
    }

    /// <summary>The map of a sweep result, as the patch command draws it (no IOI head classes: other tasks).</summary>
    public static Heatmap Map(PatchingResult result, HookedTransformer model, ExperimentOptions options, int pairs, string method, string[]? positionLabels = null) =>
        PatchingFigures.For(result, new PatchingFigureContext(ModelName(model, options), options.PrependBos, pairs, method, positionLabels, MarkIoiHeads: false))
            with { ValueLabel = $"normalised {result.Metric}" };

    /// <summary>Writes &lt;stem&gt;.svg and &lt;stem&gt;.png of one map, or of several side by side.</summary>
    public static void WriteFigure(string stem, IReadOnlyList<Heatmap> maps, string title, List<string> files, int columns = 4)
    {
        if (maps.Count == 1)
        {
            ReportFiles.WriteAtomic(stem + ".svg", HeatmapSvg.Render(maps[0]));
            ReportFiles.WriteAtomic(stem + ".png", HeatmapPng.Render(maps[0]));
        }
        else
        {
            ReportFiles.WriteAtomic(stem + ".svg", HeatmapSvg.RenderGrid(maps, title, columns: Math.Min(columns, maps.Count)));
            ReportFiles.WriteAtomic(stem + ".png", HeatmapPng.RenderGrid(maps, title, columns: Math.Min(columns, maps.Count)));
        }
        files.Add(stem + ".svg"); files.Add(stem + ".png");
    }

    /// <summary>The strongest components of a [layer, head] map as "L.H", by normalised score, highest first.</summary>
    public static IReadOnlyList<(string Name, float Score)> RankHeads(Tensor map) =>
        Enumerable.Range(0, map.Length).Select(i => ($"{i / map.Dim(1)}.{i % map.Dim(1)}", map.Data[i]))
            .Where(h => !float.IsNaN(h.Item2)).OrderByDescending(h => h.Item2).ToList();

    /// <summary>run.json: tool, model, BOS, device, task, dataset, metric, method, sweeps, baselines, files, and the task's own numbers.</summary>
    public static void WriteRunJson(HookedTransformer model, ExperimentOptions options, string task, PairSet pairs, PatchingJobResult job,
        JsonObject extra, List<string> files)
    {
        var cfg = model.Config;
        var json = new JsonObject
        {
            ["tool"] = "circuitlens",
            ["version"] = typeof(ExperimentSteps).Assembly.GetName().Version?.ToString(),
            ["created_utc"] = DateTime.UtcNow.ToString("O"),
            ["task"] = task,
            ["model"] = new JsonObject { ["name"] = ModelName(model, options), ["n_layers"] = cfg.NLayers, ["n_heads"] = cfg.NHeads, ["d_model"] = cfg.DModel, ["d_mlp"] = cfg.DMlp },
            ["prepend_bos"] = options.PrependBos,
            ["device"] = model.DeviceDescription,
            ["dataset"] = new JsonObject { ["n"] = options.N, ["seed"] = options.Seed, ["filter"] = FilterName(options), ["pairs_patched"] = pairs.Count },
            ["metric"] = job.Metric,
            ["method"] = options.Method.ToString().ToLowerInvariant(),
            ["sweeps"] = new JsonArray(job.Primary.Select(r => (JsonNode)JsonValue.Create(r.Sweep.Name)!).ToArray()),
            ["mean_clean_metric"] = job.CleanMetric.Average(),
            ["mean_corrupt_metric"] = job.CorruptMetric.Average(),
            ["timings_seconds"] = new JsonObject { ["exact"] = job.ExactTime.TotalSeconds, ["attribution"] = job.AttributionTime.TotalSeconds },
            ["results"] = extra,
            ["files"] = new JsonArray(files.Select(f => (JsonNode)JsonValue.Create(Path.GetRelativePath(options.OutDir, f))!).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(options.OutDir, "run.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    }
}
