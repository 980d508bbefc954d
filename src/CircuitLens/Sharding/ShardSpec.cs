// `--shard I/N`: which slice of a run one machine computes. By pairs, shards are made of whole chunks
// (the patching job's unit), so every chunk is batched and padded exactly as in the unsharded run and
// the merged numbers are bit-identical to it. By components, shards are sets of whole layers dealt out
// back and forth (0,1,…,N−1,N−1,…,0,0,1,…): a patched run at layer l recomputes the L − l layers after
// it, so dealing in a zig-zag gives every shard about the same sum of suffix lengths.
namespace CircuitLens.Sharding;

public readonly record struct ShardSpec(int Index, int Count)
{
    public override string ToString() => $"{Index}/{Count}";

    /// <summary>"I/N" with 0 ≤ I &lt; N (I is 0-based, like JOB_COMPLETION_INDEX and a 0-based Slurm array).</summary>
    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n))
            throw new CircuitLensException($"--shard '{text}' is not I/N (e.g. 0/4: the first of four shards)");
        if (n < 1) throw new CircuitLensException($"--shard {text}: N must be at least 1");
        if (i < 0 || i >= n) throw new CircuitLensException($"--shard {text}: I must be in 0..{n - 1} (shards are numbered from 0)");
        return new ShardSpec(i, n);
    }

    /// <summary>The pairs [Start, Start+Count) this shard computes: chunks ⌊I·C/N⌋ … ⌊(I+1)·C/N⌋−1 of the C chunks.</summary>
    public (int Start, int Count) PairRange(int pairs, int chunkSize)
    {
        if (chunkSize < 1) throw new CircuitLensException("--chunk-size must be at least 1");
        int chunks = (pairs + chunkSize - 1) / chunkSize;
        if (Count > chunks)
            throw new CircuitLensException($"--shard {this}: {Count} shards for only {chunks} chunk(s) of {chunkSize} pairs ({pairs} pairs); lower --chunk-size or use at most {chunks} shards");
        int first = (int)((long)Index * chunks / Count), end = (int)((long)(Index + 1) * chunks / Count);
        int start = first * chunkSize;
        return (start, Math.Min(end * chunkSize, pairs) - start);
    }

    /// <summary>The layers of <paramref name="layers"/> (in order) this shard patches with --shard-by components: layer i goes to
    /// shard i mod N on even rounds (i / N) and to N − 1 − i mod N on odd ones.</summary>
    public IReadOnlyList<int> LayerSlice(IReadOnlyList<int> layers)
    {
        if (Count > layers.Count)
            throw new CircuitLensException($"--shard {this} --shard-by components: {Count} shards for only {layers.Count} layer(s); use at most {layers.Count} shards or --shard-by pairs");
        var mine = new List<int>();
        for (int i = 0; i < layers.Count; i++)
        {
            int round = i / Count, seat = i % Count;
            if ((round % 2 == 0 ? seat : Count - 1 - seat) == Index) mine.Add(layers[i]);
        }
        return mine;
    }
}
