// `circuitlens merge OUT DIR...` as a library call: checks that the shard directories are one run's N
// shards (ShardMerge.Check: same fingerprint — model hash, dataset hash, options, shard-by — each index
// once, pairs or layers covered once), that the model given is the one they used and that their pairs
// join into the dataset they were cut from, then joins the patching arrays into the unsharded job.
// `patch` shards are written out as the files of an unsharded `patch` run (WritePatch); an experiment's
// shards are handed back to the experiment, which finishes from the merged job (ShardedExperiment).
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Sharding;
using CircuitLens.Tasks.Pairs;

namespace CircuitLens.Tasks.Experiments;

/// <summary>A checked, complete set of shards (sorted by index).</summary>
public sealed record ShardSet(IReadOnlyList<string> Dirs, IReadOnlyList<ShardManifest> Manifests)
{
    public ShardManifest First => Manifests[0];
    public JsonObject Run => First.Run;
    /// <summary>The experiment the shards belong to ("greater-than", ...), or null for `patch` shards.</summary>
    public string? Experiment => Run["experiment"]?["task"]?.GetValue<string>();
    /// <summary>"patch" for activation patching (`patch` and experiments), else what the shards ran (e.g. "path-patch").</summary>
    public string Kind => Run["kind"]?.GetValue<string>() ?? "patch";
}

/// <summary>The unsharded run, joined: its pairs, the patching options it ran with and its job's results.</summary>
public sealed record MergedPatching(PairSet Pairs, bool PrependBos, PatchExperimentOptions Options, PatchingJobResult Job);

public static class ShardedRunMerge
{
    public static ShardSet Check(IReadOnlyList<string> shardDirs, string outDir)
    {
        var shards = ShardMerge.Check(shardDirs);
        var dirs = shards.Select(s => s.Dir).ToList();
        if (dirs.Any(d => Path.GetFullPath(d).TrimEnd('/') == Path.GetFullPath(outDir).TrimEnd('/'))) throw new CircuitLensException($"{outDir} is one of the shards; merge into a new directory");
        return new ShardSet(dirs, shards.Select(s => s.Manifest).ToList());
    }

    /// <summary>Checks <paramref name="model"/> is the shards' model, rebuilds the dataset from their pair slices and joins their arrays.</summary>
    public static MergedPatching Join(HookedTransformer model, ShardSet set, string modelSource)
    {
        var first = set.First;
        var run = set.Run;
        if (ShardManifest.ModelHash(model.Weights) != first.ModelSha256)
            throw new CircuitLensException($"model {modelSource} is not the one the shards were computed with (its parameters hash differently)");
        string Patching(int i) => Path.Combine(set.Dirs[i], set.Manifests[i].PatchingDir);
        var patchingDirs = set.Dirs.Select((_, i) => Patching(i)).ToList();
        var rows = first.ShardBy == ShardBy.Components
            ? PairFile.Read(Path.Combine(patchingDirs[0], ShardManifest.PairsFileName)).Rows
            : patchingDirs.SelectMany(d => PairFile.Read(Path.Combine(d, ShardManifest.PairsFileName)).Rows).ToList();
        var pairs = new PairSet(run["pairs_source"]!.GetValue<string>(), rows);
        if (PatchExperiment.DatasetHash(pairs) != first.DatasetSha256)
            throw new CircuitLensException($"the shards' {ShardManifest.PairsFileName} files do not join into the dataset they were cut from (edited or damaged)");

        var layers = run["layers"]?.AsArray().Select(l => l!.GetValue<int>()).ToArray();
        var sweeps = Sweep.Parse(string.Join(',', run["sweeps"]!.AsArray().Select(s => s!.GetValue<string>()))).Select(s => s.WithLayers(layers)).ToList();
        IReadOnlyList<IReadOnlyList<int>>? shardLayers = null;
        if (first.ShardBy == ShardBy.Components)
        {
            var covered = set.Manifests.SelectMany(m => m.Layers!).Order().ToList();
            var expected = sweeps[0].LayerList(model.Config);
            if (!covered.SequenceEqual(expected))
                throw new CircuitLensException($"the shards patched layers {string.Join(",", covered)}, but the run patches layers {string.Join(",", expected)}");
            shardLayers = set.Manifests.Select(m => m.Layers!).ToList();
        }
        var method = Enum.Parse<PatchingMethod>(run["method"]!.GetValue<string>(), ignoreCase: true);
        bool exact = method != PatchingMethod.Attribution, attribution = method is PatchingMethod.Attribution or PatchingMethod.Both;
        var exactResults = exact ? ShardMerge.Join(patchingDirs, "", sweeps, pairs.Metric, shardLayers) : [];
        var attributionResults = attribution ? ShardMerge.Join(patchingDirs, exact ? "attribution" : "", sweeps, pairs.Metric, shardLayers) : [];
        var primary = exact ? exactResults : attributionResults;
        var job = new PatchingJobResult
        {
            Exact = exactResults, Attribution = attributionResults,
            CleanMetric = primary[0].CleanMetric, CorruptMetric = primary[0].CorruptMetric, Metric = pairs.Metric,
            ExactTime = TimeSpan.FromSeconds(patchingDirs.Sum(d => Timing(d, "exact"))),
            AttributionTime = TimeSpan.FromSeconds(patchingDirs.Sum(d => Timing(d, "attribution"))),
        };
        var options = new PatchExperimentOptions
        {
            Sweeps = sweeps, Method = method, ChunkSize = run["chunk_size"]!.GetValue<int>(),
            MarkIoiHeads = run["mark_ioi_heads"]?.GetValue<bool>() ?? true, Title = run["title"]?.GetValue<string>() ?? "activation patching",
        };
        return new MergedPatching(pairs, run["prepend_bos"]!.GetValue<bool>(), options, job);
    }

    /// <summary>`patch` shards: writes the files of the unsharded `patch` run into <paramref name="outDir"/>.</summary>
    public static PatchExperimentResult WritePatch(HookedTransformer model, MergedPatching merged, string outDir, bool plots, TimeSpan elapsed) =>
        PatchExperiment.WriteOutputs(model, merged.Pairs, merged.PrependBos, outDir, merged.Options with { Plots = plots }, merged.Job, elapsed);

    // the patching time a shard's run.json recorded (the merged run reports the sum: total compute)
    private static double Timing(string dir, string key)
    {
        string path = Path.Combine(dir, "run.json");
        return File.Exists(path) && JsonNode.Parse(File.ReadAllText(path))?["timings_seconds"]?[key]?.GetValue<double>() is double s ? s : 0;
    }
}
