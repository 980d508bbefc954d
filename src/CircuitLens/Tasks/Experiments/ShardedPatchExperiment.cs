// One shard of a cache-and-patch stage (`patch --shard I/N [--shard-by pairs|components]`, and the
// patching stage of a sharded experiment): runs PatchExperiment on this shard's slice — whole chunks of
// the pairs, or every pair with the sweeps restricted to the shard's layers (Sweep.Layers: the engines
// are told which components to run through the sweep itself) — into a partial run directory, then
// writes the slice of pairs and shard.json (the run's fingerprint) last: a directory with shard.json is
// a finished shard. ShardedRunMerge joins the shards back.
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Sharding;
using CircuitLens.Tasks.Pairs;

namespace CircuitLens.Tasks.Experiments;

/// <summary>Which shard to compute: I/N, of what, and the model as the user named it (recorded so `merge` can load it again).</summary>
public sealed record ShardRequest(ShardSpec Shard, ShardBy By, string ModelSource);

/// <summary>The shard's manifest, its patching result (null when the directory already held this finished shard) and notes for the caller to print.</summary>
public sealed record ShardedPatchResult(ShardManifest Manifest, PatchExperimentResult? Patching, IReadOnlyList<string> Notes);

public static class ShardedPatchExperiment
{
    /// <param name="shardDir">The partial run directory (shard.json goes here).</param>
    /// <param name="patchingSubdir">Where in it the patching arrays go ("" for `patch`, "patching" for an experiment).</param>
    /// <param name="extraRun">More of the run's fingerprint (an experiment's own options); null for `patch`.</param>
    public static ShardedPatchResult Run(HookedTransformer model, PairSet pairs, bool prependBos, string shardDir, string patchingSubdir,
        PatchExperimentOptions options, ShardRequest request, JsonObject? extraRun = null, IProgress<JobProgress>? progress = null, CancellationToken ct = default)
    {
        var shard = request.Shard;
        var allLayers = options.Sweeps[0].LayerList(model.Config);
        int start = 0, count = pairs.Count;
        IReadOnlyList<int>? layers = null;
        if (request.By == ShardBy.Components) layers = shard.LayerSlice(allLayers);
        else (start, count) = shard.PairRange(pairs.Count, options.ChunkSize);
        var run = Fingerprint(model, request.ModelSource, pairs, prependBos, options, request.By);
        if (extraRun is not null) foreach (var (key, value) in extraRun) run[key] = value?.DeepClone();
        var manifest = new ShardManifest
        {
            Shard = shard, PairStart = start, PairCount = count, TotalPairs = pairs.Count, Run = run,
            ShardBy = request.By, Layers = layers, PatchingDir = patchingSubdir,
        };
        if (File.Exists(Path.Combine(shardDir, ShardManifest.FileName)))
        {
            var old = ShardManifest.Load(shardDir);
            if (old.RunKey != manifest.RunKey || old.Shard != shard)
                throw new CircuitLensException($"{shardDir} already holds shard {old.Shard} of another run; use a new --out directory");
            return new ShardedPatchResult(old, null, [$"{shardDir} already holds finished shard {shard}; nothing to do"]);
        }
        string what = layers is null
            ? $"pairs {start}..{start + count - 1} of {pairs.Count} (whole chunks of {options.ChunkSize})"
            : $"layers {string.Join(",", layers)} of {string.Join(",", allLayers)}, all {pairs.Count} pairs";
        var notes = new List<string> { $"shard {shard} by {request.By.Name()}: {what}" };
        var slice = layers is null ? pairs.Subset(Enumerable.Range(start, count)) : pairs;
        var sliceOptions = options with
        {
            Plots = false,
            Sweeps = layers is null ? options.Sweeps : options.Sweeps.Select(s => s.WithLayers(layers)).ToList(),
        };
        string patchingDir = Path.Combine(shardDir, patchingSubdir);
        var result = PatchExperiment.Run(model, slice, prependBos, patchingDir, sliceOptions, progress, ct);
        PairFile.Write(Path.Combine(patchingDir, ShardManifest.PairsFileName), slice.Rows);
        manifest.Save(shardDir);   // last: a directory with shard.json is a finished shard
        notes.AddRange(result.Notes);
        return new ShardedPatchResult(manifest, result, notes);
    }

    /// <summary>Everything that must agree between the shards of one run.</summary>
    public static JsonObject Fingerprint(HookedTransformer model, string modelSource, PairSet pairs, bool prependBos, PatchExperimentOptions options, ShardBy by) => new()
    {
        ["model"] = model.Config.ModelName,
        ["model_source"] = Directory.Exists(modelSource) ? Path.GetFullPath(modelSource) : modelSource,
        ["model_sha256"] = ShardManifest.ModelHash(model.Weights),
        ["dataset_sha256"] = PatchExperiment.DatasetHash(pairs),
        ["pairs_source"] = pairs.Source,
        ["metric"] = pairs.Metric,
        ["prepend_bos"] = prependBos,
        ["sweeps"] = new JsonArray(options.Sweeps.Select(s => (JsonNode)JsonValue.Create(s.Name)!).ToArray()),
        ["layers"] = options.Sweeps.FirstOrDefault(s => s.Layers is not null)?.Layers is { } layers   // --layers: every sweep has the same
            ? new JsonArray(layers.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()) : null,
        ["method"] = options.Method.ToString().ToLowerInvariant(),
        ["chunk_size"] = options.ChunkSize,
        ["shard_by"] = by.Name(),
        ["mark_ioi_heads"] = options.MarkIoiHeads,
        ["title"] = options.Title,
    };
}
