// Checks that shard directories are the complete set of one run and joins their per-pair arrays in
// pair order, exactly as the patching job joins its chunks: batch axes concatenated, position axes
// widened to the longest pair with NaN. What it returns is the unsharded run's raw results.
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Sharding;

public static class ShardMerge
{
    /// <summary>The manifests sorted by shard index, after checking they are one run's N shards, each once, covering every pair in order.</summary>
    public static IReadOnlyList<(string Dir, ShardManifest Manifest)> Check(IReadOnlyList<string> directories)
    {
        if (directories.Count == 0) throw new CircuitLensException("merge: no shard directories given");
        var shards = directories.Select(d => (Dir: d, Manifest: ShardManifest.Load(d))).ToList();
        var first = shards[0].Manifest;
        foreach (var (dir, m) in shards)
        {
            if (m.Shard.Count != first.Shard.Count)
                throw new CircuitLensException($"{dir} is shard {m.Shard} but {shards[0].Dir} is shard {first.Shard}: shards of different splits");
            if (m.RunKey != first.RunKey)
                throw new CircuitLensException($"{dir} belongs to a different run than {shards[0].Dir} ({Difference(first, m)})");
        }
        var dup = shards.GroupBy(s => s.Manifest.Shard.Index).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new CircuitLensException($"shard {dup.Key}/{first.Shard.Count} given twice: {string.Join(", ", dup.Select(s => s.Dir))}");
        var missing = Enumerable.Range(0, first.Shard.Count).Except(shards.Select(s => s.Manifest.Shard.Index)).ToList();
        if (missing.Count > 0) throw new CircuitLensException($"missing shard(s) {string.Join(", ", missing.Select(i => $"{i}/{first.Shard.Count}"))}: merge needs all {first.Shard.Count}");
        shards.Sort((a, b) => a.Manifest.Shard.Index.CompareTo(b.Manifest.Shard.Index));
        int next = 0;
        foreach (var (dir, m) in shards)
        {
            if (m.PairStart != next) throw new CircuitLensException($"{dir}: pairs start at {m.PairStart}, expected {next} (shards do not tile the dataset)");
            next += m.PairCount;
        }
        if (next != first.TotalPairs) throw new CircuitLensException($"the shards cover {next} pairs of {first.TotalPairs}");
        return shards;
    }

    private static string Difference(ShardManifest a, ShardManifest b)
    {
        var keys = a.Run.Select(kv => kv.Key).Union(b.Run.Select(kv => kv.Key));
        var diff = keys.Where(k => a.Run[k]?.ToJsonString() != b.Run[k]?.ToJsonString()).ToList();
        return "different " + string.Join(", ", diff);
    }

    /// <summary>Joins each sweep's raw arrays and the baselines from <paramref name="subdir"/> of every shard ("" or "attribution"); <paramref name="metric"/> names the pairs' metric.</summary>
    public static IReadOnlyList<PatchingResult> Join(IReadOnlyList<string> shardDirs, string subdir, IReadOnlyList<Sweep> sweeps, string metric)
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

    private static Tensor ReadNpy(string path) =>
        File.Exists(path) ? NpyFile.Read(path) : throw new CircuitLensException($"{path} is missing (the shard did not finish?)");
}
