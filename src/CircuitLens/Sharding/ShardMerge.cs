// Checks that shard directories are the complete set of one run and joins their per-pair arrays into the
// unsharded run's raw results. Shards by pairs are joined in pair order, exactly as the patching job
// joins its chunks: batch axes concatenated, position axes widened to the longest pair with NaN. Shards
// by components are joined along the layer axis: each shard's layers go to their places in the run's
// layer list, and the baselines (which every such shard computed on every pair) must agree bit for bit.
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Sharding;

public static class ShardMerge
{
    /// <summary>The manifests sorted by shard index, after checking they are one run's N shards, each once, covering every pair (or layer) once.</summary>
    public static IReadOnlyList<(string Dir, ShardManifest Manifest)> Check(IReadOnlyList<string> directories)
    {
        if (directories.Count == 0) throw new CircuitLensException("merge: no shard directories given");
        var shards = directories.Select(d => (Dir: d, Manifest: ShardManifest.Load(d))).ToList();
        var first = shards[0].Manifest;
        foreach (var (dir, m) in shards)
        {
            if (m.Shard.Count != first.Shard.Count)
                throw new CircuitLensException($"{dir} is shard {m.Shard} but {shards[0].Dir} is shard {first.Shard}: shards of different splits");
            if (m.ShardBy != first.ShardBy)
                throw new CircuitLensException($"{dir} is sharded by {m.ShardBy.Name()} but {shards[0].Dir} by {first.ShardBy.Name()}: shards of different runs");
            if (m.RunKey != first.RunKey)
                throw new CircuitLensException($"{dir} belongs to a different run than {shards[0].Dir} ({Difference(first, m)})");
        }
        var dup = shards.GroupBy(s => s.Manifest.Shard.Index).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new CircuitLensException($"shard {dup.Key}/{first.Shard.Count} given twice: {string.Join(", ", dup.Select(s => s.Dir))}");
        var missing = Enumerable.Range(0, first.Shard.Count).Except(shards.Select(s => s.Manifest.Shard.Index)).ToList();
        if (missing.Count > 0) throw new CircuitLensException($"missing shard(s) {string.Join(", ", missing.Select(i => $"{i}/{first.Shard.Count}"))}: merge needs all {first.Shard.Count}");
        shards.Sort((a, b) => a.Manifest.Shard.Index.CompareTo(b.Manifest.Shard.Index));
        if (first.ShardBy == ShardBy.Components) CheckLayers(shards);
        else
        {
            int next = 0;
            foreach (var (dir, m) in shards)
            {
                if (m.PairStart != next) throw new CircuitLensException($"{dir}: pairs start at {m.PairStart}, expected {next} (shards do not tile the dataset)");
                next += m.PairCount;
            }
            if (next != first.TotalPairs) throw new CircuitLensException($"the shards cover {next} pairs of {first.TotalPairs}");
        }
        return shards;
    }

    // Components: every shard holds every pair, and its layers are exactly its zig-zag slice of all the shards' layers.
    private static void CheckLayers(List<(string Dir, ShardManifest Manifest)> shards)
    {
        var all = new List<int>();
        foreach (var (dir, m) in shards)
        {
            if (m.Layers is not { Count: > 0 }) throw new CircuitLensException($"{dir}: a components shard without layers (damaged shard.json)");
            if (m.PairStart != 0 || m.PairCount != m.TotalPairs) throw new CircuitLensException($"{dir}: a components shard must hold every pair ({m.PairCount} of {m.TotalPairs})");
            all.AddRange(m.Layers);
        }
        if (all.Distinct().Count() != all.Count) throw new CircuitLensException($"layer(s) {string.Join(", ", all.GroupBy(l => l).Where(g => g.Count() > 1).Select(g => g.Key))} patched by more than one shard");
        var layers = all.Order().ToList();
        foreach (var (dir, m) in shards)
            if (!m.Shard.LayerSlice(layers).SequenceEqual(m.Layers!))
                throw new CircuitLensException($"{dir}: shard {m.Shard} patched layers {string.Join(",", m.Layers!)}, not its slice {string.Join(",", m.Shard.LayerSlice(layers))} of layers {string.Join(",", layers)}");
    }

    private static string Difference(ShardManifest a, ShardManifest b)
    {
        var keys = a.Run.Select(kv => kv.Key).Union(b.Run.Select(kv => kv.Key));
        var diff = keys.Where(k => a.Run[k]?.ToJsonString() != b.Run[k]?.ToJsonString()).ToList();
        return "different " + string.Join(", ", diff);
    }

    /// <summary>Joins each sweep's raw arrays and the baselines from <paramref name="subdir"/> of every shard ("" or "attribution"); <paramref name="metric"/> names the pairs' metric.
    /// <paramref name="sweeps"/> are the run's (the whole layer selection); by components, <paramref name="shardLayers"/> gives each shard's layers.</summary>
    public static IReadOnlyList<PatchingResult> Join(IReadOnlyList<string> shardDirs, string subdir, IReadOnlyList<Sweep> sweeps, string metric,
        IReadOnlyList<IReadOnlyList<int>>? shardLayers = null) =>
        shardLayers is null ? JoinPairs(shardDirs, subdir, sweeps, metric) : JoinLayers(shardDirs, subdir, sweeps, metric, shardLayers);

    private static IReadOnlyList<PatchingResult> JoinPairs(IReadOnlyList<string> shardDirs, string subdir, IReadOnlyList<Sweep> sweeps, string metric)
    {
        string P(string dir, string file) => Path.Combine(dir, subdir, file);
        float[] Concat(string file) => shardDirs.SelectMany(d => ReadNpy(P(d, file)).Data).ToArray();
        var clean = Concat("clean_metric.npy");
        var corrupt = Concat("corrupt_metric.npy");
        var results = new List<PatchingResult>();
        foreach (var sweep in sweeps)
        {
            var parts = shardDirs.Select(d => ReadNpy(P(d, sweep.Name + ".npy"))).ToList();
            var shape = (int[])parts[0].Shape.Clone();
            shape[0] = parts.Sum(p => p.Dim(0));
            if (sweep.PerPosition) shape[2] = parts.Max(p => p.Dim(2));
            var joined = Tensor.Zeros(shape);
            joined.Span.Fill(float.NaN);
            int b0 = 0;
            foreach (var part in parts)
            {
                int layers = part.Dim(1), inner = part.Length / part.Dim(0) / layers;
                for (int b = 0; b < part.Dim(0); b++)
                {
                    var dst = joined.Slice(b0 + b);
                    int dstInner = dst.Length / layers;
                    for (int l = 0; l < layers; l++) part.Slice(b, l).CopyTo(dst.Slice(l * dstInner, inner));
                }
                b0 += part.Dim(0);
            }
            if (b0 != clean.Length) throw new CircuitLensException($"{sweep.Name}.npy: {b0} pairs across the shards, but {clean.Length} baselines");
            results.Add(new PatchingResult(sweep, joined, clean, corrupt, metric));
        }
        return results;
    }

    private static IReadOnlyList<PatchingResult> JoinLayers(IReadOnlyList<string> shardDirs, string subdir, IReadOnlyList<Sweep> sweeps, string metric,
        IReadOnlyList<IReadOnlyList<int>> shardLayers)
    {
        string P(string dir, string file) => Path.Combine(dir, subdir, file);
        var clean = ReadNpy(P(shardDirs[0], "clean_metric.npy")).Data;
        var corrupt = ReadNpy(P(shardDirs[0], "corrupt_metric.npy")).Data;
        foreach (var dir in shardDirs.Skip(1))
            if (!ReadNpy(P(dir, "clean_metric.npy")).Data.AsSpan().SequenceEqual(clean) || !ReadNpy(P(dir, "corrupt_metric.npy")).Data.AsSpan().SequenceEqual(corrupt))
                throw new CircuitLensException($"{dir}: its clean/corrupted baselines differ from {shardDirs[0]}'s (computed on another machine type or build?); shards by components must agree bit for bit");
        var results = new List<PatchingResult>();
        foreach (var sweep in sweeps)
        {
            Tensor? joined = null;
            for (int s = 0; s < shardDirs.Count; s++)
            {
                var part = ReadNpy(P(shardDirs[s], sweep.Name + ".npy"));
                if (part.Dim(1) != shardLayers[s].Count) throw new CircuitLensException($"{P(shardDirs[s], sweep.Name + ".npy")}: {part.Dim(1)} layers, but shard.json names {shardLayers[s].Count}");
                if (joined is null)
                {
                    var shape = (int[])part.Shape.Clone();
                    shape[1] = shardLayers.Sum(l => l.Count);
                    joined = Tensor.Zeros(shape);
                }
                if (part.Dim(0) != joined.Dim(0) || part.Length / part.Dim(0) / part.Dim(1) != joined.Length / joined.Dim(0) / joined.Dim(1))
                    throw new CircuitLensException($"{P(shardDirs[s], sweep.Name + ".npy")}: shape [{string.Join(", ", part.Shape)}] does not fit the other shards'");
                for (int b = 0; b < part.Dim(0); b++)
                    for (int i = 0; i < shardLayers[s].Count; i++)
                        part.Slice(b, i).CopyTo(joined.Slice(b, sweep.LayerIndex(shardLayers[s][i])));
            }
            results.Add(new PatchingResult(sweep, joined!, clean, corrupt, metric));
        }
        return results;
    }

    private static Tensor ReadNpy(string path) =>
        File.Exists(path) ? NpyFile.Read(path) : throw new CircuitLensException($"{path} is missing (the shard did not finish?)");
}
