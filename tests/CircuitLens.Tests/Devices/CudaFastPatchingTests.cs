// The same fast exact patching checks on a CUDA GPU; skipped with the reason where ILGPU sees no CUDA device.
using CircuitLens.Model;
using CircuitLens.Model.Devices;

namespace CircuitLens.Tests.Devices;

public class CudaFastPatchingTests
{
    private static HookedTransformer M => DeviceModels.Cuda;

    [CudaFact] public void EverySweepMatchesTheCpuEngineLogitDiff() => DeviceFastPatchingChecks.EverySweepMatchesTheCpuEngine(M, "logit-diff");
    [CudaFact] public void EverySweepMatchesTheCpuEngineProbDiff() => DeviceFastPatchingChecks.EverySweepMatchesTheCpuEngine(M, "prob-diff");
    [CudaFact] public void EverySweepMatchesTheCpuEngineLogitDiffToMax() => DeviceFastPatchingChecks.EverySweepMatchesTheCpuEngine(M, "logit-diff-to-max");
    [CudaFact] public void SweepsMatchTheFixtureReference() => DeviceFastPatchingChecks.SweepsMatchTheFixtureReference(M);
    [CudaFact] public void PaddedBatchEqualsOnePairAtATime() => DeviceFastPatchingChecks.PaddedBatchEqualsOnePairAtATime(M);
    [CudaFact] public void TheEngineRunsOnTheModelsDevice() => DeviceFastPatchingChecks.TheEngineRunsOnTheModelsDevice(DeviceKind.Cuda);
    [CudaFact] public void PrefixedAttentionMatchesTheCpuKernel() => DeviceFastPatchingChecks.PrefixedAttentionMatchesTheCpuKernel(DeviceKind.Cuda);
}
