// A colour ramp bound to data limits: value → colour, plus the colour-bar ticks. Diverging
// limits are symmetric (±L) so white always means exactly 0; values beyond the limit saturate.
// NaN has no colour here: callers draw it as a hatched "missing" cell.
namespace CircuitLens.Reports;

public sealed record ColorMapping(ColorScale Scale, float Limit)
{
    /// <summary>Limit from the data: max |v| (diverging) or max v (sequential), ignoring NaN and ±∞; 1 when there is nothing to go on.</summary>
    public static ColorMapping For(ColorScale scale, float? limit, IEnumerable<float[,]> values)
    {
        if (limit is float given && float.IsFinite(given) && given > 0) return new ColorMapping(scale, given);
        float max = 0;
        foreach (var grid in values)
            foreach (float v in grid)
                if (float.IsFinite(v)) max = Math.Max(max, scale == ColorScale.Diverging ? Math.Abs(v) : v);
        return new ColorMapping(scale, max > 0 ? max : 1f);
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
