// The named activation-patching sweeps (TransformerLens' patching module and its index_axis_names):
// which activation is patched, along which axes results are laid out, and — in one place, for every
// engine, output writer and report — each sweep's shape, component indexing and labels. "One generic
// engine + thin named sweeps": adding a sweep is one line here (plus its patch in each engine that
// supports it; an engine refuses the others by name, see Supports).
using CircuitLens.Hooks;
using CircuitLens.Model;

namespace CircuitLens.Patching;

public enum SweepAxes
{
    /// <summary>[batch, layer, head]: one head at every position.</summary>
    LayerHead,
    /// <summary>[batch, layer, pos]: the whole activation at one position.</summary>
    LayerPos,
    /// <summary>[batch, layer, pos, head]: one head at one position (for the pattern: one destination position).</summary>
    LayerPosHead,
    /// <summary>[batch, layer, neuron]: one MLP neuron at every position.</summary>
    LayerNeuron,
}

/// <summary>One component of a sweep: the layer (model layer, not axis index), and the head, position or neuron it patches (-1 when not on an axis).</summary>
public readonly record struct SweepComponent(int Layer, int Head, int Position, int Neuron);

public sealed record Sweep(string Name, HookPoint Point, SweepAxes Axes, string Description)
{
    public static readonly Sweep HeadZ = new("head-z", HookPoint.Z, SweepAxes.LayerHead, "head output z (before W_O), all positions");
    public static readonly Sweep HeadQ = new("head-q", HookPoint.Q, SweepAxes.LayerHead, "head query, all positions");
    public static readonly Sweep HeadK = new("head-k", HookPoint.K, SweepAxes.LayerHead, "head key, all positions");
    public static readonly Sweep HeadV = new("head-v", HookPoint.V, SweepAxes.LayerHead, "head value, all positions");
    public static readonly Sweep HeadPattern = new("head-pattern", HookPoint.Pattern, SweepAxes.LayerHead, "head attention pattern, all query positions");
    public static readonly Sweep ResidPre = new("resid-pre", HookPoint.ResidPre, SweepAxes.LayerPos, "residual stream before the block, one position");
    public static readonly Sweep ResidMid = new("resid-mid", HookPoint.ResidMid, SweepAxes.LayerPos, "residual stream between attention and MLP, one position");
    public static readonly Sweep AttnOut = new("attn-out", HookPoint.AttnOut, SweepAxes.LayerPos, "attention layer output, one position");
    public static readonly Sweep MlpOut = new("mlp-out", HookPoint.MlpOut, SweepAxes.LayerPos, "MLP layer output, one position");
    public static readonly Sweep HeadZByPos = new("head-z-by-pos", HookPoint.Z, SweepAxes.LayerPosHead, "head output z at one position");
    public static readonly Sweep HeadQByPos = new("head-q-by-pos", HookPoint.Q, SweepAxes.LayerPosHead, "head query at one position");
    public static readonly Sweep HeadKByPos = new("head-k-by-pos", HookPoint.K, SweepAxes.LayerPosHead, "head key at one position");
    public static readonly Sweep HeadVByPos = new("head-v-by-pos", HookPoint.V, SweepAxes.LayerPosHead, "head value at one position");
    public static readonly Sweep HeadPatternByPos = new("head-pattern-by-pos", HookPoint.Pattern, SweepAxes.LayerPosHead, "head attention pattern of one destination position");
    public static readonly Sweep MlpPostNeuron = new("mlp-post-neuron", HookPoint.MlpPost, SweepAxes.LayerNeuron, "one MLP neuron (mlp.hook_post), all positions");

    public static IReadOnlyList<Sweep> All { get; } =
        [HeadZ, HeadQ, HeadK, HeadV, HeadPattern, ResidPre, ResidMid, AttnOut, MlpOut, HeadZByPos, HeadQByPos, HeadKByPos, HeadVByPos, HeadPatternByPos, MlpPostNeuron];

    /// <summary>Named groups users ask for at once.</summary>
    public static IReadOnlyDictionary<string, Sweep[]> Groups { get; } = new Dictionary<string, Sweep[]>
    {
        ["heads-every"] = [HeadZ, HeadQ, HeadK, HeadV, HeadPattern],
        ["block-every"] = [ResidPre, AttnOut, MlpOut],
        ["heads-by-pos-every"] = [HeadZByPos, HeadQByPos, HeadKByPos, HeadVByPos, HeadPatternByPos],
    };

    /// <summary>The model layers the sweep patches, in order; null = every layer. The layer axis of the result holds these.</summary>
    public IReadOnlyList<int>? Layers { get; init; }

    /// <summary>This sweep restricted to <paramref name="layers"/> (the result's layer axis becomes those layers).</summary>
    public Sweep WithLayers(IReadOnlyList<int>? layers) => this with { Layers = layers is null ? null : layers.Distinct().Order().ToArray() };

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

    /// <summary>Parses a layer selection: "8-11", "0,3,5-7"; null or "" = all layers. Checked against the model's layer count.</summary>
    public static IReadOnlyList<int>? ParseLayers(string? spec, int nLayers)
    {
        if (string.IsNullOrWhiteSpace(spec)) return null;
        var layers = new SortedSet<int>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length > 2 || !int.TryParse(ends[0], out int from) || !int.TryParse(ends[^1], out int to) || from > to)
                throw new CircuitLensException($"bad layer selection '{part}' (use e.g. 8-11 or 0,3,5-7)");
            for (int l = from; l <= to; l++)
            {
                if (l < 0 || l >= nLayers) throw new CircuitLensException($"layer {l} is outside the model's layers 0-{nLayers - 1}");
                layers.Add(l);
            }
        }
        return layers.ToArray();
    }

    public bool PerHead => Axes is SweepAxes.LayerHead or SweepAxes.LayerPosHead;
    public bool PerPosition => Axes is SweepAxes.LayerPos or SweepAxes.LayerPosHead;

    /// <summary>The model layers patched (all of them when <see cref="Layers"/> is null).</summary>
    public IReadOnlyList<int> LayerList(Gpt2Config cfg) => Layers ?? Enumerable.Range(0, cfg.NLayers).ToArray();

    /// <summary>Axis names of the result, batch first (TransformerLens' index_axis_names).</summary>
    public IReadOnlyList<string> AxisNames => Axes switch
    {
        SweepAxes.LayerHead => ["batch", "layer", "head"],
        SweepAxes.LayerPos => ["batch", "layer", "pos"],
        SweepAxes.LayerPosHead => ["batch", "layer", "pos", "head"],
        _ => ["batch", "layer", "neuron"],
    };

    /// <summary>Shape of the result for <paramref name="batch"/> pairs padded to <paramref name="positions"/> tokens.</summary>
    public int[] Shape(Gpt2Config cfg, int batch, int positions)
    {
        int L = LayerList(cfg).Count;
        return Axes switch
        {
            SweepAxes.LayerHead => [batch, L, cfg.NHeads],
            SweepAxes.LayerPos => [batch, L, positions],
            SweepAxes.LayerPosHead => [batch, L, positions, cfg.NHeads],
            _ => [batch, L, cfg.DMlp],
        };
    }

    /// <summary>Components per layer at <paramref name="positions"/> positions.</summary>
    public int ComponentsPerLayer(Gpt2Config cfg, int positions) => Axes switch
    {
        SweepAxes.LayerHead => cfg.NHeads,
        SweepAxes.LayerPos => positions,
        SweepAxes.LayerPosHead => positions * cfg.NHeads,
        _ => cfg.DMlp,
    };

    /// <summary>The component at index <paramref name="i"/> of a layer (row-major over the non-layer axes).</summary>
    public SweepComponent Component(int layer, int i, Gpt2Config cfg) => Axes switch
    {
        SweepAxes.LayerHead => new(layer, i, -1, -1),
        SweepAxes.LayerPos => new(layer, -1, i, -1),
        SweepAxes.LayerPosHead => new(layer, i % cfg.NHeads, i / cfg.NHeads, -1),
        _ => new(layer, -1, -1, i),
    };

    /// <summary>Flat offset of component <paramref name="c"/> of pair <paramref name="b"/> in a result of <see cref="Shape"/>.</summary>
    public int Offset(int[] shape, int b, SweepComponent c)
    {
        int li = LayerIndex(c.Layer);
        return Axes switch
        {
            SweepAxes.LayerHead => (b * shape[1] + li) * shape[2] + c.Head,
            SweepAxes.LayerPos => (b * shape[1] + li) * shape[2] + c.Position,
            SweepAxes.LayerPosHead => ((b * shape[1] + li) * shape[2] + c.Position) * shape[3] + c.Head,
            _ => (b * shape[1] + li) * shape[2] + c.Neuron,
        };
    }

    /// <summary>Index of model layer <paramref name="layer"/> on the result's layer axis.</summary>
    public int LayerIndex(int layer)
    {
        if (Layers is null) return layer;
        for (int i = 0; i < Layers.Count; i++) if (Layers[i] == layer) return i;
        throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} is not in sweep {Name}'s layers");
    }

    /// <summary>A component's label from its index in the mean map (the result without the batch axis): "L9H6", "L3 pos 4", "L9H6 pos 14", "L10 N2048".</summary>
    public string Label(int[] meanShape, int flatIndex)
    {
        var idx = new int[meanShape.Length];
        for (int a = meanShape.Length - 1; a >= 0; a--) { idx[a] = flatIndex % meanShape[a]; flatIndex /= meanShape[a]; }
        int layer = Layers is null ? idx[0] : Layers[idx[0]];
        return Axes switch
        {
            SweepAxes.LayerHead => $"L{layer}H{idx[1]}",
            SweepAxes.LayerPos => $"L{layer} pos {idx[1]}",
            SweepAxes.LayerPosHead => $"L{layer}H{idx[2]} pos {idx[1]}",
            _ => $"L{layer} N{idx[1]}",
        };
    }

    /// <summary>The CSV header of the mean map's index columns: "layer,head", "layer,pos", "layer,pos,head", "layer,neuron".</summary>
    public string IndexHeader => string.Join(',', AxisNames.Skip(1));

    public bool Equals(Sweep? other) => other is not null && Name == other.Name && Point == other.Point && Axes == other.Axes
        && (Layers is null ? other.Layers is null : other.Layers is not null && Layers.SequenceEqual(other.Layers));

    public override int GetHashCode() => HashCode.Combine(Name, Point, Axes, Layers?.Count ?? -1);
}
