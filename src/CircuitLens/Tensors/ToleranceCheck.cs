// The fixtures' tolerance, |actual − expected| ≤ 1e-4 + 1e-3·|expected| element by element (NaN agrees only
// with NaN), for the checks that run outside the test project and must refuse to report on wrong numbers:
// the device benches against the cpu engine (`bench --device`) and the PyTorch comparison against the
// fixtures and CircuitLens.
namespace CircuitLens.Tensors;

/// <summary>How far <c>actual</c> is from <c>expected</c>: the largest error, the worst error over its tolerance (and where), and how many elements exceed it.</summary>
public readonly record struct ToleranceCheck(long Elements, double MaxAbsError, double WorstRatio, int WorstIndex, long Failures)
{
    public const double Absolute = 1e-4, Relative = 1e-3;

    public bool Passed => Failures == 0;

    /// <summary>Compares element by element; NaN on one side only is a failure with an infinite ratio.</summary>
    public static ToleranceCheck Compare(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length) throw new ArgumentException($"{actual.Length} values against {expected.Length}");
        double maxAbs = 0, worst = 0;
        int worstIndex = -1;
        long failures = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            double err = Math.Abs(a - e), ratio = err / (Absolute + Relative * Math.Abs(e));
            if (!(ratio <= 1)) failures++;   // NaN counts as a failure
            maxAbs = double.IsNaN(err) ? double.NaN : Math.Max(maxAbs, err);
            if (double.IsNaN(ratio)) ratio = double.PositiveInfinity;
            if (ratio > worst || worstIndex < 0) { worst = ratio; worstIndex = i; }
        }
        return new ToleranceCheck(actual.Length, maxAbs, worst, worstIndex, failures);
    }
}
