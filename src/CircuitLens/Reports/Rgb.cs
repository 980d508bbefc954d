// An 8-bit sRGB colour of our ramps: SVG fill strings in report.html, ScottPlot colours in the files.
// Deliberately tiny: no alpha, no colour-space math beyond the luminance used to pick legible text.
using System.Globalization;

namespace CircuitLens.Reports;

public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static readonly Rgb White = new(255, 255, 255);
    public static readonly Rgb Black = new(0, 0, 0);

    /// <summary>"#rrggbb" (the generated record ToString would recurse through ContrastingText).</summary>
    public override string ToString() => ToHex();

    /// <summary>"#rrggbb", lower case.</summary>
    public string ToHex() => string.Create(CultureInfo.InvariantCulture, $"#{R:x2}{G:x2}{B:x2}");

    /// <summary>Relative luminance in [0, 1] (sRGB primaries, gamma-decoded).</summary>
    public double Luminance => 0.2126 * Linear(R) + 0.7152 * Linear(G) + 0.0722 * Linear(B);

    /// <summary>Black or white, whichever reads better on top of this colour.</summary>
    public Rgb ContrastingText => Luminance > 0.28 ? new Rgb(20, 20, 20) : White;

    public static Rgb Lerp(Rgb a, Rgb b, double t) => new(
        (byte)Math.Round(a.R + (b.R - a.R) * t),
        (byte)Math.Round(a.G + (b.G - a.G) * t),
        (byte)Math.Round(a.B + (b.B - a.B) * t));

    public static Rgb FromHex(string hex)
    {
        var s = hex.TrimStart('#');
        return new Rgb(
            byte.Parse(s.AsSpan(0, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            byte.Parse(s.AsSpan(2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            byte.Parse(s.AsSpan(4, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    static double Linear(byte c)
    {
        double v = c / 255.0;
        return v <= 0.04045 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
    }
}
