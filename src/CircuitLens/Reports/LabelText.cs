// Turns raw strings into what the pictures print: token labels with visible whitespace
// ("·John", "\n") cut to a readable length, and numbers in a short invariant format.
// It does not decide where labels go (see HeatmapPlot and HeatmapFigure) or how they are drawn.
using System.Globalization;
using System.Text;

namespace CircuitLens.Reports;

public static class LabelText
{
    public const int MaxLabelChars = 14;

    /// <summary>Spaces become '·', line breaks and tabs become \n \r \t, other control characters \xNN; longer than maxChars → cut with '…'.</summary>
    public static string Token(string raw, int maxChars = MaxLabelChars)
    {
        var sb = new StringBuilder(raw.Length + 2);
        foreach (char ch in raw)
        {
            switch (ch)
            {
                case ' ': sb.Append('·'); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(ch)) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)ch:x2}");
                    else sb.Append(ch);
                    break;
            }
        }
        if (sb.Length == 0) return "∅";
        var runes = sb.ToString().EnumerateRunes().ToArray();
        if (runes.Length <= maxChars) return sb.ToString();
        return string.Concat(runes.Take(maxChars - 1).Select(r => r.ToString())) + "…";
    }

    /// <summary>Hover and legend format: 3 decimals ("0.213", "-1.000"), scientific when tiny or huge, "NaN" for NaN.</summary>
    public static string Value(float v)
    {
        if (float.IsNaN(v)) return "NaN";
        if (float.IsPositiveInfinity(v)) return "+inf";
        if (float.IsNegativeInfinity(v)) return "-inf";
        float a = Math.Abs(v);
        if (a != 0 && (a < 0.001f || a >= 10000f)) return v.ToString("0.00e+0", CultureInfo.InvariantCulture);
        return v.ToString("0.000", CultureInfo.InvariantCulture);
    }

    /// <summary>In-cell format: 2 decimals ("0.21", "-0.05", "0.00" for anything that rounds to zero), or 3 significant digits when large.</summary>
    public static string CellValue(float v)
    {
        if (float.IsNaN(v)) return "NaN";
        if (!float.IsFinite(v)) return v > 0 ? "inf" : "-inf";
        if (Math.Abs(v) >= 10) return v.ToString("G3", CultureInfo.InvariantCulture);
        return Math.Round(v, 2) == 0 ? "0.00" : v.ToString("0.00", CultureInfo.InvariantCulture);   // no "-0.00"
    }

    /// <summary>A score with its sign printed once: "+0.213", "-0.041", and "0.000" when it rounds to zero.</summary>
    public static string Signed(float v, int decimals = 3)
    {
        if (float.IsNaN(v)) return "NaN";
        double r = Math.Round(v, decimals);
        string digits = Math.Abs(r).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return r > 0 ? "+" + digits : r < 0 ? "-" + digits : digits;
    }

    /// <summary>Colour-bar tick format: shortest of up to 3 significant digits ("1", "-0.25", "0.0031").</summary>
    public static string Tick(float v) => v == 0 ? "0" : v.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>The labels of one axis's ticks in one notation: plain decimals ("0.25"), or, when a tick is below 0.001 or
    /// 10000 and above in size, powers of ten for all ("5e-5", "1.5e-4"), never a mix.</summary>
    public static string[] Ticks(IReadOnlyList<float> ticks)
    {
        bool scientific = ticks.Any(t => t != 0 && (Math.Abs(t) < 1e-3f || Math.Abs(t) >= 1e4f));
        return ticks.Select(t => t == 0 ? "0" : scientific ? t.ToString("0.##e0", CultureInfo.InvariantCulture) : t.ToString("G4", CultureInfo.InvariantCulture)).ToArray();
    }
}
