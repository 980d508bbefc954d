// Element-wise comparison with the fixtures' tolerance: |actual − expected| ≤ 1e-4 + 1e-3·|expected|.
// Fails on the first element past it, naming the array and the index, so one drifted element fails a test.
using CircuitLens.Tensors;

namespace CircuitLens.Tests;

public static class TensorAssert
{
    public const double Atol = 1e-4, Rtol = 1e-3;

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, double atol = Atol, double rtol = Rtol)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (!(Math.Abs(a - e) <= atol + rtol * Math.Abs(e)))
                Assert.Fail($"{what}: element {i} is {a}, expected {e} (|diff| {Math.Abs(a - e):G3} > {atol + rtol * Math.Abs(e):G3})");
        }
    }

    public static void Close(Tensor expected, Tensor actual, string what, double atol = Atol, double rtol = Rtol)
    {
        Assert.True(expected.Shape.AsSpan().SequenceEqual(actual.Shape), $"{what}: shape {actual.ShapeString}, expected {expected.ShapeString}");
        Close(expected.Data, actual.Data, what, atol, rtol);
    }
}
