// Which colour ramp a heatmap uses. Patching scores are signed, so Diverging is the default;
// attention patterns are probabilities in [0, 1] and read better on a Sequential ramp.
namespace CircuitLens.Reports;

public enum ColorScale
{
    /// <summary>Red (negative) → white (0) → blue (positive, i.e. restores the clean answer); limits ±L.</summary>
    Diverging,
    /// <summary>White (0) → dark purple (L); values below 0 are drawn white.</summary>
    Sequential,
}
