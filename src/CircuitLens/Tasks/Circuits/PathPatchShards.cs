// `path-patch --shard I/N [--shard-by pairs|components]` and its half of `merge`. By pairs a shard runs
// whole chunks of the pairs (PathPatchOptions.ChunkSize; the unsharded run batches the same chunks, so
// the numbers are bit-identical); by components it runs every pair but only its zig-zag slice of the
// sender layers that reach the receivers (ShardSpec.LayerSlice; the engine takes them as senderLayers and
// runs each layer's senders alone). A shard directory holds the arrays of its slice and shard.json (the
// run's fingerprint: model hash, the pairs' and source rows' hash, receivers, engine, chunk, BOS), written
// last. Merge joins them — pairs along the batch axis, layers into their rows — and writes the files of
// an unsharded run (PathPatchTask.Write).
using System.Text.Json.Nodes;
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Sharding;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Runs;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Circuits;

public static class PathPatchShards
{
    /// <summary>The value of "kind" in a path-patch shard's fingerprint.</summary>
    public const string Kind = "path-patch";

    public static ShardedPatchResult Run(HookedTransformer model, PathPatchOptions options, string outDir, ShardRequest request,
        IProgress<PatchingProgress>? progress = null, CancellationToken ct = default)
    {
        var cfg = model.Config;
        var receivers = PathReceivers.Parse(options.Receivers, cfg.NLayers, cfg.NHeads);
        var pairs = PathPatchTask.LoadPairs(options.PairsPath, options.SourcePath);
        var data = pairs.Tokenize(model, options.PrependBos).ToPatchingBatch();
        using var hold = RunLock.Acquire(outDir);
        var shard = request.Shard;
        int chunk = options.ChunkSize ?? data.Count, start = 0, count = data.Count;
        IReadOnlyList<int>? layers = null;
        if (request.By == ShardBy.Components) layers = shard.LayerSlice(PathPatching.SenderLayers(receivers.EarliestLayer(cfg.NLayers)));
        else (start, count) = shard.PairRange(data.Count, chunk);
        var run = new JsonObject
        {
            ["kind"] = Kind,
            ["model"] = cfg.ModelName,
            ["model_source"] = Directory.Exists(request.ModelSource) ? Path.GetFullPath(request.ModelSource) : request.ModelSource,
            ["model_sha256"] = ShardManifest.ModelHash(model.Weights),
            ["dataset_sha256"] = PatchExperiment.DatasetHash(pairs),
            ["pairs_source"] = options.PairsPath,
            ["source"] = options.SourcePath,
            ["metric"] = pairs.Metric,
            ["receivers"] = receivers.ToString(),
            ["prepend_bos"] = options.PrependBos,
            ["engine"] = options.Plain ? "plain" : "fast",
            ["chunk_size"] = chunk,
            ["shard_by"] = request.By.Name(),
        };
        var manifest = new ShardManifest
        {
            Shard = shard, PairStart = start, PairCount = count, TotalPairs = data.Count, Run = run, ShardBy = request.By, Layers = layers,
        };
        if (File.Exists(Path.Combine(outDir, ShardManifest.FileName)))
        {
            var old = ShardManifest.Load(outDir);
            if (old.RunKey != manifest.RunKey || old.Shard != shard)
                throw new CircuitLensException($"{outDir} already holds shard {old.Shard} of another run; use a new --out directory");
            return new ShardedPatchResult(old, null, [$"{outDir} already holds finished shard {shard}; nothing to do"]);
        }
        string what = layers is null ? $"pairs {start}..{start + count - 1} of {data.Count} (whole chunks of {chunk})" : $"sender layers {string.Join(",", layers)}, all {data.Count} pairs";
        var result = PathPatchTask.Compute(model, data, receivers, options, start, count, layers, progress, ct);
        PathPatchTask.Write(outDir, result, cfg.ModelName, options with { Plots = false });
        manifest.Save(outDir);   // last: a directory with shard.json is a finished shard
        return new ShardedPatchResult(manifest, null, [$"shard {shard} by {request.By.Name()}: {what}"]);
    }

    /// <summary>Joins a checked set of path-patch shards and writes the unsharded run's files into <paramref name="outDir"/>.</summary>
    public static PathPatchingResult Merge(ShardSet set, string outDir, bool plots)
    {
        var run = set.Run;
        string Npy(int i, string name) => Path.Combine(set.Dirs[i], name);
        Tensor Read(int i, string name) => File.Exists(Npy(i, name)) ? NpyFile.Read(Npy(i, name)) : throw new CircuitLensException($"{Npy(i, name)} is missing (the shard did not finish?)");
        var parts = Enumerable.Range(0, set.Dirs.Count).Select(i => (Patched: Read(i, "path-patch.npy"), Clean: Read(i, "clean_metric.npy").Data, Corrupt: Read(i, "corrupt_metric.npy").Data)).ToList();
        int L = parts[0].Patched.Dim(1), H = parts[0].Patched.Dim(2);
        var receivers = PathReceivers.Parse(run["receivers"]!.GetValue<string>(), L, H);
        string metric = run["metric"]!.GetValue<string>();
        PathPatchingResult result;
        if (set.First.ShardBy == ShardBy.Pairs)
            result = PathPatchTask.Concatenate(parts.Select(p => new PathPatchingResult(receivers, p.Patched, p.Clean, p.Corrupt, metric)).ToList());
        else
        {
            var expected = PathPatching.SenderLayers(receivers.EarliestLayer(L));
            var covered = set.Manifests.SelectMany(m => m.Layers!).Order().ToList();
            if (!covered.SequenceEqual(expected))
                throw new CircuitLensException($"the shards ran sender layers {string.Join(",", covered)}, but the receivers {receivers} have senders in layers {string.Join(",", expected)}");
            for (int i = 1; i < parts.Count; i++)
                if (!parts[i].Clean.AsSpan().SequenceEqual(parts[0].Clean) || !parts[i].Corrupt.AsSpan().SequenceEqual(parts[0].Corrupt))
                    throw new CircuitLensException($"{set.Dirs[i]}: its clean/corrupted baselines differ from {set.Dirs[0]}'s; shards by components must agree bit for bit");
            var patched = parts[0].Patched.Clone();
            for (int i = 1; i < parts.Count; i++)
                for (int b = 0; b < patched.Dim(0); b++)
                    foreach (int l in set.Manifests[i].Layers!)
                        parts[i].Patched.Slice(b, l).CopyTo(patched.Slice(b, l));
            result = new PathPatchingResult(receivers, patched, parts[0].Clean, parts[0].Corrupt, metric);
        }
        if (result.BatchSize != set.First.TotalPairs) throw new CircuitLensException($"the shards hold {result.BatchSize} pairs of {set.First.TotalPairs}");
        Directory.CreateDirectory(outDir);
        using var hold = RunLock.Acquire(outDir);
        PathPatchTask.Write(outDir, result, run["model"]!.GetValue<string>(), new PathPatchOptions
        {
            PairsPath = run["pairs_source"]!.GetValue<string>(), Receivers = receivers.ToString(), SourcePath = run["source"]?.GetValue<string>(),
            PrependBos = run["prepend_bos"]!.GetValue<bool>(), Plain = run["engine"]!.GetValue<string>() == "plain", Plots = plots,
            ChunkSize = run["chunk_size"]!.GetValue<int>(),
        });
        return result;
    }
}
