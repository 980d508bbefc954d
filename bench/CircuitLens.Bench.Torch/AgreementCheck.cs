// One element-wise agreement check of the PyTorch side against a reference (the float64 fixtures or the
// CircuitLens engines), with the fixtures' tolerance |actual − expected| ≤ 1e-4 + 1e-3·|expected|.
// The benchmark prints timings only when every check passes.
using System.Globalization;

namespace CircuitLens.Bench.Torch;

public sealed record AgreementCheck(string Name, long Elements, double MaxAbsError, double WorstRatio, long Failures)
{
    public const double Absolute = 1e-4, Relative = 1e-3;

    public bool Passed => Elements > 0 && Failures == 0;

    /// <summary>Compares element by element; a length mismatch, a non-finite value where the reference is finite, or no elements at all fails.</summary>
    public static AgreementCheck Compare(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length) return new AgreementCheck($"{name} (length {actual.Length}, expected {expected.Length})", 0, double.NaN, double.NaN, 1);
        double maxAbs = 0, worst = 0;
        long failures = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            double err = Math.Abs(a - e), ratio = err / (Absolute + Relative * Math.Abs(e));
            if (!(ratio <= 1)) failures++;   // NaN counts as a failure
            maxAbs = double.IsNaN(err) ? double.NaN : Math.Max(maxAbs, err);
            worst = double.IsNaN(ratio) ? double.PositiveInfinity : Math.Max(worst, ratio);
        }
        return new AgreementCheck(name, actual.Length, maxAbs, worst, failures);
    }

    public string Row() => string.Create(CultureInfo.InvariantCulture,
        $"| {Name} | {Elements} | {MaxAbsError:0.00E+00} | {WorstRatio:F3} | {(Passed ? "pass" : $"FAIL ({Failures} elements)")} |");

    public const string Header = "| check | elements | max abs error | worst error / tolerance | result |\n| --- | --- | --- | --- | --- |";
}
