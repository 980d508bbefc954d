// `patch --shard I/N`: the cache-and-patch stage on this shard's slice of the pairs (whole chunks), into a
// partial run directory that also holds the slice (pairs.jsonl) and shard.json with the run's
// fingerprint. It wraps PatchStage rather than reaching into the engines: slice before, record after.
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Sharding;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Pairs;

namespace CircuitLens.Cli.Commands;

internal static class ShardedPatchStage
{
    public static void Run(HookedTransformer model, string modelSource, PairSet pairs, bool prependBos, string outDir,
        PatchExperimentOptions options, ShardSpec shard, CancellationToken ct)
    {
        var (start, count) = shard.PairRange(pairs.Count, options.ChunkSize);
        var manifest = new ShardManifest
        {
            Shard = shard, PairStart = start, PairCount = count, TotalPairs = pairs.Count,
            Run = Fingerprint(model, modelSource, pairs, prependBos, options),
        };
        if (File.Exists(Path.Combine(outDir, ShardManifest.FileName)))
        {
            var old = ShardManifest.Load(outDir);
            if (old.RunKey != manifest.RunKey || old.Shard != shard)
                throw new CircuitLensException($"{outDir} already holds shard {old.Shard} of another run; use a new --out directory");
            Cli.Stderr.Info($"{outDir} already holds finished shard {shard}; nothing to do");
            return;
        }
        Cli.Stderr.Info($"shard {shard}: pairs {start}..{start + count - 1} of {pairs.Count} (whole chunks of {options.ChunkSize})");
        var slice = pairs.Subset(Enumerable.Range(start, count));
        PatchStage.Run(model, slice, prependBos, outDir, options with { Plots = false }, ct);
        PairFile.Write(Path.Combine(outDir, ShardManifest.PairsFileName), slice.Rows);
        manifest.Save(outDir);   // last: a directory with shard.json is a finished shard
    }

    /// <summary>Everything that must agree between the shards of one run.</summary>
    public static JsonObject Fingerprint(HookedTransformer model, string modelSource, PairSet pairs, bool prependBos, PatchExperimentOptions options) => new()
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
        ["mark_ioi_heads"] = options.MarkIoiHeads,
        ["title"] = options.Title,
    };
}
