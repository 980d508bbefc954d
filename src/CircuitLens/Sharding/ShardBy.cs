// `--shard-by pairs|components`: what a shard of a run is a slice of. Pairs: whole chunks of the pairs,
// every component (ShardSpec.PairRange). Components: every pair, a slice of the layers the sweeps patch
// (ShardSpec.LayerSlice) — the engines already take a sweep's layers as data (Sweep.Layers), and each
// layer's patched runs are batched alone, so a layer computed in a shard is computed exactly as in the
// unsharded run.
namespace CircuitLens.Sharding;

public enum ShardBy
{
    Pairs,
    Components,
}

public static class ShardByNames
{
    public static string Name(this ShardBy by) => by == ShardBy.Components ? "components" : "pairs";

    public static ShardBy Parse(string text) => text switch
    {
        "pairs" => ShardBy.Pairs,
        "components" => ShardBy.Components,
        _ => throw new CircuitLensException($"--shard-by '{text}' is not pairs or components"),
    };
}
