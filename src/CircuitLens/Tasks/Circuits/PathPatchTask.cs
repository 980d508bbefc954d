// `path-patch` as a library call: reads the pairs (and optional source rows), runs path patching, and
// writes path-patch.npy [batch, layer, head] (RAW metric), path-patch_normalized.npy (per example,
// (patched − clean)/(clean − corrupt)), path-patch_normalized_mean.npy [layer, head] (batch means),
// clean_metric.npy / corrupt_metric.npy, the map as SVG and PNG, and path-patch.json. Pairs run in
// chunks (--chunk-size, or what the memory plan allows; default all in one batch): a shard by pairs
// takes whole chunks, so its numbers are the unsharded run's (PathPatchShards).
using System.Text.Json;
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Reports;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;
using CircuitLens.Tasks.Runs;

namespace CircuitLens.Tasks.Circuits;

public sealed record PathPatchOptions
{
    public required string PairsPath { get; init; }
    public required string Receivers { get; init; }
    /// <summary>JSONL whose rows ("prompt", else "corrupt") replace the pairs' corrupted prompts as the source run.</summary>
    public string? SourcePath { get; init; }
    public bool PrependBos { get; init; } = true;
    public bool Plain { get; init; }
    public bool Plots { get; init; } = true;
    /// <summary>Pairs per batch; null = every pair in one batch.</summary>
    public int? ChunkSize { get; init; }
    /// <summary>The fast engine's stacked rows per run (the memory plan lowers it for a tight budget).</summary>
    public int MaxRowsPerRun { get; init; } = 2048;
}

public static class PathPatchTask
{
    public static PathPatchingResult Run(HookedTransformer model, PathPatchOptions options, string outDir,
        IProgress<PatchingProgress>? progress = null, CancellationToken ct = default)
    {
        var receivers = PathReceivers.Parse(options.Receivers, model.Config.NLayers, model.Config.NHeads);
        var data = LoadBatch(model, options.PairsPath, options.SourcePath, options.PrependBos);
        using var hold = RunLock.Acquire(outDir);   // inputs checked: from here the output directory is this run's alone
        var result = Compute(model, data, receivers, options, 0, data.Count, null, progress, ct);
        Write(outDir, result, model.Config.ModelName, options);
        return result;
    }

    /// <summary>Path patching of pairs [<paramref name="start"/>, +<paramref name="count"/>) in chunks of <see cref="PathPatchOptions.ChunkSize"/>
    /// counted from pair 0 (start is a chunk boundary), senders in <paramref name="senderLayers"/> only (null: all).</summary>
    public static PathPatchingResult Compute(HookedTransformer model, PatchingBatch data, PathReceivers receivers, PathPatchOptions options,
        int start, int count, IReadOnlyList<int>? senderLayers, IProgress<PatchingProgress>? progress = null, CancellationToken ct = default)
    {
        int chunk = options.ChunkSize ?? data.Count;
        if (chunk < 1) throw new CircuitLensException("--chunk-size must be at least 1");
        int chunks = (count + chunk - 1) / chunk;
        var parts = new List<PathPatchingResult>();
        for (int c = 0; c < chunks; c++)
        {
            int s = start + c * chunk, n = Math.Min(chunk, start + count - s);
            var slice = s == 0 && n == data.Count ? data : data.Slice(s, n);
            var inner = progress is null ? null : new SyncProgress<PatchingProgress>(p => progress.Report(p with { Done = c * p.Total + p.Done, Total = chunks * p.Total }));
            parts.Add(options.Plain ? PathPatching.RunPlain(model, slice, receivers, inner, ct, senderLayers)
                : PathPatching.Run(model, slice, receivers, inner, ct, options.MaxRowsPerRun, senderLayers));
        }
        return parts.Count == 1 ? parts[0] : Concatenate(parts);
    }

    /// <summary>The memory plan of path patching these pairs (a budget, or the device's default when null) and the options it sets:
    /// the chunk (at most the one asked for; all pairs when none was) and the fast engine's rows per run.</summary>
    public static (PathPatchOptions Options, PatchingMemoryPlan Plan) PlanMemory(HookedTransformer model, PathPatchOptions options, long? budgetBytes)
    {
        var pairs = LoadPairs(options.PairsPath, options.SourcePath).Tokenize(model, options.PrependBos);
        var plan = PatchingMemoryPlan.ForPathPatching(new MemoryPlanRequest
        {
            Config = model.Config, PairLengths = pairs.Clean.Select(c => c.Length).ToArray(), Sweeps = [], Device = model.Device,
            BudgetBytes = budgetBytes, MaxChunkSize = options.ChunkSize ?? pairs.Count, MaxRowsPerRun = options.MaxRowsPerRun,
        });
        return (options with { ChunkSize = plan.ChunkSize, MaxRowsPerRun = plan.MaxRowsPerRun }, plan);
    }

    /// <summary>Results of consecutive pairs joined along the batch axis.</summary>
    public static PathPatchingResult Concatenate(IReadOnlyList<PathPatchingResult> parts)
    {
        var shape = (int[])parts[0].Patched.Shape.Clone();
        shape[0] = parts.Sum(p => p.BatchSize);
        var patched = new Tensor(parts.SelectMany(p => p.Patched.Data).ToArray(), shape);
        return new PathPatchingResult(parts[0].Receivers, patched, parts.SelectMany(p => p.Clean).ToArray(), parts.SelectMany(p => p.Corrupt).ToArray(), parts[0].Metric);
    }

    /// <summary>Target = the pairs' clean prompts; source = their corrupted prompts or the --source rows (one per pair, same token length).</summary>
    public static PatchingBatch LoadBatch(HookedTransformer model, string pairsPath, string? sourcePath, bool prependBos) =>
        LoadPairs(pairsPath, sourcePath).Tokenize(model, prependBos).ToPatchingBatch();

    /// <summary>The pairs as path patching runs them: with --source, the source rows' prompts as the corrupted prompts.</summary>
    public static PairSet LoadPairs(string pairsPath, string? sourcePath)
    {
        var pairs = PairFile.Read(pairsPath);
        if (sourcePath is not null)
        {
            var source = PromptRows.Read(sourcePath, "prompt", "corrupt");
            if (source.Count != pairs.Count)
                throw new CircuitLensException($"{sourcePath}: {source.Count} source rows but {pairsPath} has {pairs.Count} pairs; give one source prompt per pair");
            pairs = new PairSet(pairs.Source, pairs.Rows.Select((p, i) => p with { Corrupt = source[i].Prompt, CorruptIds = null }).ToList());
        }
        return pairs;
    }

    public static void Write(string outDir, PathPatchingResult result, string modelName, PathPatchOptions options)
    {
        Directory.CreateDirectory(outDir);
        NpyFile.Write(Path.Combine(outDir, "path-patch.npy"), result.Patched);
        NpyFile.Write(Path.Combine(outDir, "path-patch_normalized.npy"), result.NormalizedPerExample());
        var mean = result.NormalizedMean();
        NpyFile.Write(Path.Combine(outDir, "path-patch_normalized_mean.npy"), mean);
        NpyFile.Write(Path.Combine(outDir, "clean_metric.npy"), result.Clean, [result.Clean.Length]);
        NpyFile.Write(Path.Combine(outDir, "corrupt_metric.npy"), result.Corrupt, [result.Corrupt.Length]);

        int L = mean.Dim(0), H = mean.Dim(1);
        var senders = new List<(string Head, float Value)>();
        for (int l = 0; l < L; l++)
            for (int h = 0; h < H; h++)
                if (!float.IsNaN(mean[l, h])) senders.Add(($"{l}.{h}", mean[l, h]));
        var info = new
        {
            model = modelName, receivers = result.Receivers.ToString(), pairs = options.PairsPath, source = options.SourcePath ?? "corrupt prompts of the pairs",
            prepend_bos = options.PrependBos, metric = result.Metric, engine = options.Plain ? "plain" : "fast", pair_count = result.BatchSize,
            normalization = "(patched - clean) / (clean - corrupt); normalized_mean uses batch means",
            clean_metric_mean = result.Clean.Average(), corrupt_metric_mean = result.Corrupt.Average(),
            excluded_from_normalized = result.DegeneratePairs().Select(b => b + 1).ToList(),   // 1-based rows: clean = corrupted metric, normalisation undefined
            senders_by_effect = senders.OrderByDescending(s => Math.Abs(s.Value)).Select(s => new { head = s.Head, normalized_mean = s.Value }).ToList(),
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "path-patch.json"), JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
        if (!options.Plots) return;
        var map = Heatmap.LayerHead($"path patching → {result.Receivers}", PatchingFigures.To2D(mean)) with
        {
            Subtitle = $"{modelName} · {result.BatchSize} pairs · {(options.PrependBos ? "BOS" : "no BOS")}",
            ValueLabel = "(patched − clean)/(clean − corrupt)",
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "path-patch.svg"), HeatmapSvg.Render(map));
        AtomicFile.WriteAllBytes(Path.Combine(outDir, "path-patch.png"), HeatmapPng.Render(map));
    }
}
