// Maps a position on a colour ramp to a colour. The stops are ColorBrewer's RdBu (11 classes,
// reversed so blue is positive) and BuPu (9 classes), with the neutral end set to pure white so
// "no effect" reads as blank paper. Interpolation is linear in sRGB between neighbouring stops,
// which is fine at this stop density. Does not know about data limits: see ColorMapping.
namespace CircuitLens.Reports;

public static class ColorRamp
{
    // From t = -1 (strong negative, dark red) to t = +1 (strong positive, dark blue).
    static readonly Rgb[] Diverging = Stops(
        "#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#ffffff",
        "#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061");

    // From t = 0 (white) to t = 1 (dark purple).
    static readonly Rgb[] Sequential = Stops(
        "#ffffff", "#e0ecf4", "#bfd3e6", "#9ebcda", "#8c96c6", "#8c6bb1", "#88419d", "#810f7c", "#4d004b");

    /// <summary>Colour for t in [-1, 1] (diverging) or [0, 1] (sequential); t is clamped.</summary>
    public static Rgb At(ColorScale scale, double t)
    {
        if (scale == ColorScale.Diverging)
            return Sample(Diverging, (Math.Clamp(t, -1, 1) + 1) / 2);
        return Sample(Sequential, Math.Clamp(t, 0, 1));
    }

    static Rgb Sample(Rgb[] stops, double u)
    {
        double pos = u * (stops.Length - 1);
        int i = Math.Min((int)pos, stops.Length - 2);
        return Rgb.Lerp(stops[i], stops[i + 1], pos - i);
    }

    static Rgb[] Stops(params string[] hex) => Array.ConvertAll(hex, Rgb.FromHex);
}
