// One element-wise agreement check of the PyTorch side against a reference (the float64 fixtures or the
// CircuitLens engines), with the fixtures' tolerance |actual − expected| ≤ 1e-4 + 1e-3·|expected|.
// The benchmark prints timings only when every check passes.
using System.Globalization;
using CircuitLens.Tensors;

namespace CircuitLens.Bench.Torch;

public sealed record AgreementCheck(string Name, long Elements, double MaxAbsError, double WorstRatio, long Failures)
{
    public bool Passed => Elements > 0 && Failures == 0;

    /// <summary>Compares element by element (ToleranceCheck); a length mismatch, a non-finite value where the reference is finite, or no elements at all fails.</summary>
    public static AgreementCheck Compare(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length) return new AgreementCheck($"{name} (length {actual.Length}, expected {expected.Length})", 0, double.NaN, double.NaN, 1);
        var c = ToleranceCheck.Compare(actual, expected);
        return new AgreementCheck(name, c.Elements, c.MaxAbsError, c.WorstRatio, c.Failures);
    }

    public string Row() => string.Create(CultureInfo.InvariantCulture,
        $"| {Name} | {Elements} | {MaxAbsError:0.00E+00} | {WorstRatio:F3} | {(Passed ? "pass" : $"FAIL ({Failures} elements)")} |");

    public const string Header = "| check | elements | max abs error | worst error / tolerance | result |\n| --- | --- | --- | --- | --- |";
}
