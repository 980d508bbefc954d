// The fast exact patching engine on ILGPU's CPU accelerator (what CI runs): every sweep × every metric
// against the CPU engine, the fixture's reference sweeps, a left-padded batch, and the prefixed attention.
using CircuitLens.Model;
using CircuitLens.Model.Devices;

namespace CircuitLens.Tests.Devices;

public class IlgpuCpuFastPatchingTests
{
    private static HookedTransformer M => DeviceModels.IlgpuCpu;

    [Theory]
    [InlineData("logit-diff")] [InlineData("prob-diff")] [InlineData("logit-diff-to-max")]
    public void EverySweepMatchesTheCpuEngine(string metric) => DeviceFastPatchingChecks.EverySweepMatchesTheCpuEngine(M, metric);

    [Fact] public void SweepsMatchTheFixtureReference() => DeviceFastPatchingChecks.SweepsMatchTheFixtureReference(M);
    [Fact] public void PaddedBatchEqualsOnePairAtATime() => DeviceFastPatchingChecks.PaddedBatchEqualsOnePairAtATime(M);
    [Fact] public void TheEngineRunsOnTheModelsDevice() => DeviceFastPatchingChecks.TheEngineRunsOnTheModelsDevice(DeviceKind.IlgpuCpu);
    [Fact] public void PrefixedAttentionMatchesTheCpuKernel() => DeviceFastPatchingChecks.PrefixedAttentionMatchesTheCpuKernel(DeviceKind.IlgpuCpu);
}
