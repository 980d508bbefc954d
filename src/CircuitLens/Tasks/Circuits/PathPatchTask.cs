// `path-patch` as a library call: reads the pairs (and optional source rows), runs path patching, and
// writes path-patch.npy [batch, layer, head] (RAW metric), path-patch_normalized.npy (per example,
// (patched − clean)/(clean − corrupt)), path-patch_normalized_mean.npy [layer, head] (batch means),
// clean_metric.npy / corrupt_metric.npy, the map as SVG and PNG, and path-patch.json.
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
}

public static class PathPatchTask
{
    public static PathPatchingResult Run(HookedTransformer model, PathPatchOptions options, string outDir,
        IProgress<PatchingProgress>? progress = null, CancellationToken ct = default)
    {
        var receivers = PathReceivers.Parse(options.Receivers, model.Config.NLayers, model.Config.NHeads);
        var data = LoadBatch(model, options.PairsPath, options.SourcePath, options.PrependBos);
        using var hold = RunLock.Acquire(outDir);   // inputs checked: from here the output directory is this run's alone
        var result = options.Plain ? PathPatching.RunPlain(model, data, receivers, progress, ct) : PathPatching.Run(model, data, receivers, progress, ct);
        Write(outDir, result, model.Config.ModelName, options);
        return result;
    }

    /// <summary>Target = the pairs' clean prompts; source = their corrupted prompts or the --source rows (one per pair, same token length).</summary>
    public static PatchingBatch LoadBatch(HookedTransformer model, string pairsPath, string? sourcePath, bool prependBos)
    {
        var pairs = PairFile.Read(pairsPath);
        if (sourcePath is not null)
        {
            var source = PromptRows.Read(sourcePath, "prompt", "corrupt");
            if (source.Count != pairs.Count)
                throw new CircuitLensException($"{sourcePath}: {source.Count} source rows but {pairsPath} has {pairs.Count} pairs; give one source prompt per pair");
            pairs = new PairSet(pairs.Source, pairs.Rows.Select((p, i) => p with { Corrupt = source[i].Prompt, CorruptIds = null }).ToList());
        }
        return pairs.Tokenize(model, prependBos).ToPatchingBatch();
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
