// A colour ramp bound to data limits: value → colour, plus the colour-bar ticks. Diverging
// limits are symmetric (±L) so white always means exactly 0. A requested limit is a floor: the scale
// widens to the largest |value| when one exceeds it, so no cell saturates and a map of tiny values
// on a fixed ±1 scale stays pale instead of being stretched to full colour.
// NaN has no colour here: callers draw it as a hatched "missing" cell.
namespace CircuitLens.Reports;

public sealed record ColorMapping(ColorScale Scale, float Limit)
{
    /// <summary>Limit = max(requested limit, max |v|) (diverging) or max(limit, max v) (sequential), ignoring NaN and ±∞; without a limit the data alone; 1 when there is nothing to go on.</summary>
    public static ColorMapping For(ColorScale scale, float? limit, IEnumerable<float[,]> values)
    {
        float max = 0;
        foreach (var grid in values)
            foreach (float v in grid)
                if (float.IsFinite(v)) max = Math.Max(max, scale == ColorScale.Diverging ? Math.Abs(v) : v);
        if (limit is float given && float.IsFinite(given) && given > 0) return new ColorMapping(scale, Math.Max(given, max));
        return new ColorMapping(scale, max > 0 ? max : 1f);
    }

    /// <summary>One scale for every map of a figure: the largest requested limit, widened by any map's data.</summary>
    public static ColorMapping Shared(IReadOnlyList<Heatmap> maps)
    {
        var limits = maps.Where(m => m.Limit is > 0).Select(m => m.Limit!.Value).ToList();
        return For(maps[0].Scale, limits.Count > 0 ? limits.Max() : null, maps.Select(m => m.Values));
    }

    public Rgb ColorOf(float value)
    {
        if (float.IsPositiveInfinity(value)) return ColorRamp.At(Scale, 1);
        if (float.IsNegativeInfinity(value)) return ColorRamp.At(Scale, -1);
        return ColorRamp.At(Scale, value / Limit);
    }

    /// <summary>Bottom and top of the colour bar.</summary>
    public float Min => Scale == ColorScale.Diverging ? -Limit : 0f;
    public float Max => Limit;

    /// <summary>Colour-bar ticks from bottom to top: (min, 0, max) or (0, max/2, max).</summary>
    public float[] Ticks => Scale == ColorScale.Diverging ? [-Limit, 0f, Limit] : [0f, Limit / 2, Limit];
}
