// How well attribution patching approximates exact patching: correlation of the per-example
// normalised scores and of the mean maps, and the components where they disagree most.
namespace CircuitLens.Patching;

public sealed record Disagreement(string Sweep, string Component, float Exact, float Attribution);

public sealed record SweepAgreement(string Sweep, double PerExampleCorrelation, double MeanMapCorrelation, IReadOnlyList<Disagreement> Largest);

public static class PatchingAgreement
{
    public static IReadOnlyList<SweepAgreement> Compare(IReadOnlyList<PatchingResult> exact, IReadOnlyList<PatchingResult> attribution, int top = 10)
    {
        var list = new List<SweepAgreement>();
        for (int s = 0; s < exact.Count; s++)
        {
            var e = exact[s]; var a = attribution[s];
            var eMean = e.NormalizedMean(); var aMean = a.NormalizedMean();
            var largest = Enumerable.Range(0, eMean.Length)
                .Where(i => !float.IsNaN(eMean.Data[i]) && !float.IsNaN(aMean.Data[i]))
                .OrderByDescending(i => Math.Abs(eMean.Data[i] - aMean.Data[i]))
                .Take(top)
                .Select(i => new Disagreement(e.Sweep.Name, Component(e.Sweep, eMean.Shape, i), eMean.Data[i], aMean.Data[i]))
                .ToList();
            list.Add(new SweepAgreement(e.Sweep.Name, Pearson(e.NormalizedPerExample().Data, a.NormalizedPerExample().Data), Pearson(eMean.Data, aMean.Data), largest));
        }
        return list;
    }

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
