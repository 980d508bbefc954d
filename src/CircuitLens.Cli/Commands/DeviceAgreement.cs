// The bench's correctness gate for device rows: a device's numbers must match the cpu engine's within the
// tolerance the device tests use (1e-4 + 1e-3·|cpu|, NaN where the cpu has NaN), or the bench stops with the
// worst element named. On a GPU machine that has only a published CLI (no test project), this is the check.
namespace CircuitLens.Cli.Commands;

internal static class DeviceAgreement
{
    /// <summary>"largest |device − cpu| 3.1e-06 (within 1e-4 + 1e-3·|x| at all 1,728 values)", or throws naming the worst value.</summary>
    public static string Check(string what, ReadOnlySpan<float> device, ReadOnlySpan<float> cpu)
    {
        if (device.Length != cpu.Length) throw new CircuitLensException($"{what}: the device gave {device.Length} values, the cpu engine {cpu.Length}");
        double largest = 0, worstRatio = 0;
        int worst = -1;
        for (int i = 0; i < cpu.Length; i++)
        {
            float d = device[i], c = cpu[i];
            if (float.IsNaN(c) && float.IsNaN(d)) continue;
            double diff = Math.Abs((double)d - c), ratio = diff / (1e-4 + 1e-3 * Math.Abs(c));
            if (double.IsNaN(diff)) diff = ratio = double.PositiveInfinity;   // NaN on one side only
            largest = Math.Max(largest, diff);
            if (ratio > worstRatio) { worstRatio = ratio; worst = i; }
        }
        if (worstRatio > 1)
            throw new CircuitLensException($"{what} disagrees with the cpu engine: value {worst} is {device[worst]} on the device and {cpu[worst]} on the cpu (tolerance 1e-4 + 1e-3·|x|); no timing is printed for a wrong result");
        return $"largest |device − cpu| {largest:G2} (within 1e-4 + 1e-3·|x| at all {cpu.Length:N0} values)";
    }
}
