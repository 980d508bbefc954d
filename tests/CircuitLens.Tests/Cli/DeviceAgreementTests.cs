// The bench's device gate (DeviceAgreement, internal to the CLI: reached by name): numbers within
// 1e-4 + 1e-3·|cpu| pass with the largest difference reported; one value outside, or NaN on one side only,
// stops the bench with the element named, so a wrong device result is never timed.
using System.Reflection;

namespace CircuitLens.Tests.Cli;

public sealed class DeviceAgreementTests
{
    private static string Check(float[] device, float[] cpu)
    {
        var type = typeof(CircuitLens.Cli.Program).Assembly.GetType("CircuitLens.Cli.Commands.DeviceAgreement", throwOnError: true)!;
        var method = type.GetMethod("Check", BindingFlags.Public | BindingFlags.Static)!;
        // ReadOnlySpan parameters cannot be boxed: call through a delegate of the exact signature
        var check = method.CreateDelegate<CheckDelegate>();
        return check("test", device, cpu);
    }

    private delegate string CheckDelegate(string what, ReadOnlySpan<float> device, ReadOnlySpan<float> cpu);

    [Fact]
    public void NumbersWithinTheToleranceReportTheLargestDifference()
    {
        string line = Check([1.0005f, -2f, float.NaN], [1f, -2.00001f, float.NaN]);
        Assert.StartsWith("largest |device − cpu| 0.0005", line);
        Assert.Contains("at all 3 values", line);
    }

    [Theory]
    [InlineData(1.0012f, 1f)]        // 1.2e-3 > 1e-4 + 1e-3
    [InlineData(float.NaN, 1f)]      // NaN on the device only
    [InlineData(0.5f, float.NaN)]    // NaN on the cpu only
    public void OneValueOutsideTheToleranceStopsTheBench(float device, float cpu)
    {
        var e = Assert.Throws<CircuitLensException>(() => Check([0f, device], [0f, cpu]));
        Assert.Contains("test disagrees with the cpu engine: value 1", e.Message);
    }

    [Fact]
    public void DifferentLengthsAreRefused() =>
        Assert.Throws<CircuitLensException>(() => Check([1f], [1f, 2f]));
}
