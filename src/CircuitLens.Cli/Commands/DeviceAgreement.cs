// The bench's correctness gate for device rows: a device's numbers must match the cpu engine's within the
// tolerance the device tests use (1e-4 + 1e-3·|cpu|, NaN where the cpu has NaN), or the bench stops with the
// worst element named. On a GPU machine that has only a published CLI (no test project), this is the check.
using CircuitLens.Tensors;

namespace CircuitLens.Cli.Commands;

internal static class DeviceAgreement
{
    /// <summary>"largest |device − cpu| 3.1e-06 (within 1e-4 + 1e-3·|x| at all 1,728 values)", or throws naming the worst value.</summary>
    public static string Check(string what, ReadOnlySpan<float> device, ReadOnlySpan<float> cpu)
    {
        if (device.Length != cpu.Length) throw new CircuitLensException($"{what}: the device gave {device.Length} values, the cpu engine {cpu.Length}");
        var c = ToleranceCheck.Compare(device, cpu);
        if (!c.Passed)
            throw new CircuitLensException($"{what} disagrees with the cpu engine: value {c.WorstIndex} is {device[c.WorstIndex]} on the device and {cpu[c.WorstIndex]} on the cpu (tolerance 1e-4 + 1e-3·|x|); no timing is printed for a wrong result");
        return $"largest |device − cpu| {c.MaxAbsError:G2} (within 1e-4 + 1e-3·|x| at all {cpu.Length:N0} values)";
    }
}
