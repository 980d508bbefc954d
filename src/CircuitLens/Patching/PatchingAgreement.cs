// How well attribution patching approximates exact patching, per sweep, on the normalised mean maps:
// the least-squares slope of attribution on exact (1 = same scale; a correlation alone is blind to
// scale), the relative error and sign agreement on the components exact patching ranks highest, the
// correlations, and the largest disagreements. A map whose exact values are all below NoSignal in
// magnitude says "no signal" and gets no statistics: correlations of pure noise mean nothing.
namespace CircuitLens.Patching;

public sealed record Disagreement(string Sweep, string Component, float Exact, float Attribution);

/// <param name="Verdict">"compared", or "no signal: …" when every exact value is below <see cref="PatchingAgreement.NoSignal"/> (the numbers are then NaN).</param>
/// <param name="MaxAbsExact">The largest |exact| normalised mean of the map.</param>
/// <param name="Slope">Least-squares slope through the origin of attribution on exact over the components with signal.</param>
/// <param name="TopComponents">How many components (largest |exact| first, all with signal) TopRelativeError and TopSignAgreement cover.</param>
/// <param name="TopRelativeError">Mean of |attribution − exact| / |exact| over the top components.</param>
/// <param name="TopSignAgreement">Fraction of the top components where attribution has exact's sign.</param>
/// <param name="LargestDisagreements">The components with the largest |exact − attribution|.</param>
public sealed record SweepAgreement(
    string Sweep, string Verdict, double MaxAbsExact, double Slope, int TopComponents, double TopRelativeError, double TopSignAgreement,
    double PerExampleCorrelation, double MeanMapCorrelation, IReadOnlyList<Disagreement> LargestDisagreements)
{
    public bool HasSignal => Verdict == PatchingAgreement.Compared;
}

public static class PatchingAgreement
{
    /// <summary>Exact normalised values below this magnitude are treated as no effect.</summary>
    public const double NoSignal = 1e-3;

    public const string Compared = "compared";

    public static IReadOnlyList<SweepAgreement> Compare(IReadOnlyList<PatchingResult> exact, IReadOnlyList<PatchingResult> attribution, int top = 10)
    {
        var list = new List<SweepAgreement>();
        for (int s = 0; s < exact.Count; s++)
        {
            var e = exact[s]; var a = attribution[s];
            var eMean = e.NormalizedMean(); var aMean = a.NormalizedMean();
            var both = Enumerable.Range(0, eMean.Length).Where(i => float.IsFinite(eMean.Data[i]) && float.IsFinite(aMean.Data[i])).ToList();
            double maxAbs = both.Count == 0 ? 0 : both.Max(i => Math.Abs((double)eMean.Data[i]));
            var largest = both
                .OrderByDescending(i => Math.Abs(eMean.Data[i] - aMean.Data[i]))
                .Take(top)
                .Select(i => new Disagreement(e.Sweep.Name, Component(e.Sweep, eMean.Shape, i), eMean.Data[i], aMean.Data[i]))
                .ToList();
            if (maxAbs < NoSignal)
            {
                list.Add(new SweepAgreement(e.Sweep.Name, $"no signal: every exact normalised mean is below {NoSignal} in magnitude (max {maxAbs:G3}); attribution not compared",
                    maxAbs, double.NaN, 0, double.NaN, double.NaN, double.NaN, double.NaN, largest));
                continue;
            }
            var signal = both.Where(i => Math.Abs(eMean.Data[i]) >= NoSignal).ToList();
            double see = 0, sea = 0;
            foreach (int i in signal) { see += (double)eMean.Data[i] * eMean.Data[i]; sea += (double)eMean.Data[i] * aMean.Data[i]; }
            var topSet = signal.OrderByDescending(i => Math.Abs(eMean.Data[i])).Take(top).ToList();
            double relErr = topSet.Average(i => Math.Abs((double)aMean.Data[i] - eMean.Data[i]) / Math.Abs((double)eMean.Data[i]));
            double signs = topSet.Count(i => Math.Sign(aMean.Data[i]) == Math.Sign(eMean.Data[i])) / (double)topSet.Count;
            list.Add(new SweepAgreement(e.Sweep.Name, Compared, maxAbs, sea / see, topSet.Count, relErr, signs,
                Pearson(e.NormalizedPerExample().Data, a.NormalizedPerExample().Data), Pearson(eMean.Data, aMean.Data), largest));
        }
        return list;
    }

    /// <summary>One line for the terminal.</summary>
    public static string Summary(SweepAgreement a) => a.HasSignal
        ? $"{a.Sweep}: attribution vs exact: slope {a.Slope:G3}, top-{a.TopComponents} relative error {a.TopRelativeError * 100:F0}%, sign agreement {a.TopSignAgreement * 100:F0}%, correlation {a.MeanMapCorrelation:F3} (mean map), {a.PerExampleCorrelation:F3} (per example)"
        : $"{a.Sweep}: {a.Verdict}";

    public static string Component(Sweep sweep, int[] meanShape, int flatIndex) => sweep.Label(meanShape, flatIndex);

    /// <summary>Pearson correlation over the entries finite in both; NaN when fewer than two.</summary>
    public static double Pearson(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0; int n = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double a = x[i], b = y[i];
            if (!double.IsFinite(a) || !double.IsFinite(b)) continue;
            sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b; n++;
        }
        if (n < 2) return double.NaN;
        double cov = sxy - sx * sy / n, vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
        return cov / Math.Sqrt(vx * vy);
    }
}
