// The named activation-patching sweeps (TransformerLens' patching module): which activation is
// patched and along which axes the results are laid out. "One generic engine + thin named sweeps":
// adding a sweep is one line here.
using CircuitLens.Hooks;

namespace CircuitLens.Patching;

public enum SweepAxes
{
    /// <summary>[batch, layer, head]: one head at every position.</summary>
    LayerHead,
    /// <summary>[batch, layer, pos]: the whole activation at one position.</summary>
    LayerPos,
    /// <summary>[batch, layer, pos, head]: one head at one position.</summary>
    LayerPosHead,
}

public sealed record Sweep(string Name, HookPoint Point, SweepAxes Axes, string Description)
{
    public static readonly Sweep HeadZ = new("head-z", HookPoint.Z, SweepAxes.LayerHead, "head output z (before W_O), all positions");
    public static readonly Sweep HeadQ = new("head-q", HookPoint.Q, SweepAxes.LayerHead, "head query, all positions");
    public static readonly Sweep HeadK = new("head-k", HookPoint.K, SweepAxes.LayerHead, "head key, all positions");
    public static readonly Sweep HeadV = new("head-v", HookPoint.V, SweepAxes.LayerHead, "head value, all positions");
    public static readonly Sweep HeadPattern = new("head-pattern", HookPoint.Pattern, SweepAxes.LayerHead, "head attention pattern, all query positions");
    public static readonly Sweep ResidPre = new("resid-pre", HookPoint.ResidPre, SweepAxes.LayerPos, "residual stream before the block, one position");
    public static readonly Sweep AttnOut = new("attn-out", HookPoint.AttnOut, SweepAxes.LayerPos, "attention layer output, one position");
    public static readonly Sweep MlpOut = new("mlp-out", HookPoint.MlpOut, SweepAxes.LayerPos, "MLP layer output, one position");
    public static readonly Sweep HeadZByPos = new("head-z-by-pos", HookPoint.Z, SweepAxes.LayerPosHead, "head output z at one position");

    public static IReadOnlyList<Sweep> All { get; } = [HeadZ, HeadQ, HeadK, HeadV, HeadPattern, ResidPre, AttnOut, MlpOut, HeadZByPos];

    /// <summary>Named groups users ask for at once.</summary>
    public static IReadOnlyDictionary<string, Sweep[]> Groups { get; } = new Dictionary<string, Sweep[]>
    {
        ["heads-every"] = [HeadZ, HeadQ, HeadK, HeadV, HeadPattern],
        ["block-every"] = [ResidPre, AttnOut, MlpOut],
    };

    /// <summary>Resolves a comma-separated list of sweep or group names.</summary>
    public static IReadOnlyList<Sweep> Parse(string spec)
    {
        var result = new List<Sweep>();
        foreach (var raw in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Groups.TryGetValue(raw, out var group)) result.AddRange(group);
            else result.Add(All.FirstOrDefault(s => s.Name == raw)
                ?? throw new CircuitLensException($"unknown sweep '{raw}' (choose from {string.Join(", ", All.Select(s => s.Name).Concat(Groups.Keys))})"));
        }
        if (result.Count == 0) throw new CircuitLensException("no sweep given");
        return result.Distinct().ToList();
    }

    public bool PerHead => Axes != SweepAxes.LayerPos;
    public bool PerPosition => Axes != SweepAxes.LayerHead;
}
