// The same backward checks on a CUDA GPU; skipped with the reason where ILGPU sees no CUDA device.
using CircuitLens.Model;
using CircuitLens.Model.Devices;

namespace CircuitLens.Tests.Devices;

public class CudaBackwardTests
{
    private static HookedTransformer M => DeviceModels.Cuda;

    [CudaFact] public void LayerNormAndGeluKernelsMatchTheCpu() => DeviceBackwardChecks.LayerNormAndGeluKernelsMatchTheCpu(M);
    [CudaFact] public void AttentionKernelsMatchTheCpu() => DeviceBackwardChecks.AttentionKernelsMatchTheCpu(M);
    [CudaFact] public void BackwardPassMatchesTheCpuPass() => DeviceBackwardChecks.BackwardPassMatchesTheCpuPass(M);
    [CudaFact] public void ComparisonCatchesABrokenInputAndASwappedSeed() => DeviceBackwardChecks.ComparisonCatchesABrokenInputAndASwappedSeed(M);
    [CudaFact] public void ErfGeluBackwardMatchesTheCpuPass() => DeviceBackwardChecks.ErfGeluBackwardMatchesTheCpuPass(w => new HookedTransformer(w).To(DeviceKind.Cuda));
}

public class CudaAttributionTests
{
    private static HookedTransformer M => DeviceModels.Cuda;

    [CudaFact] public void EverySweepMatchesTheCpuEngineLogitDiff() => DeviceAttributionChecks.EverySweepMatchesTheCpuEngine(M, "logit-diff");
    [CudaFact] public void EverySweepMatchesTheCpuEngineProbDiff() => DeviceAttributionChecks.EverySweepMatchesTheCpuEngine(M, "prob-diff");
    [CudaFact] public void EverySweepMatchesTheCpuEngineLogitDiffToMax() => DeviceAttributionChecks.EverySweepMatchesTheCpuEngine(M, "logit-diff-to-max");

    [CudaFact] public void ChunksAndLayerSelectionsMatchTheCpuEngine() => DeviceAttributionChecks.ChunksAndLayerSelectionsMatchTheCpuEngine(M);
    [CudaFact] public void EdgeAttributionMatchesTheCpu() => DeviceAttributionChecks.EdgeAttributionMatchesTheCpu(M);
}
