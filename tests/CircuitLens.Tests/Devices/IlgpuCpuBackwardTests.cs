// Every backward and attribution kernel, run on ILGPU's CPU accelerator in CI: the backward checks
// (kernels and the whole pass against the CPU backward) and device attribution against the CPU engine.
using CircuitLens.Model;
using CircuitLens.Model.Devices;

namespace CircuitLens.Tests.Devices;

public class IlgpuCpuBackwardTests
{
    private static HookedTransformer M => DeviceModels.IlgpuCpu;

    [Fact] public void LayerNormAndGeluKernelsMatchTheCpu() => DeviceBackwardChecks.LayerNormAndGeluKernelsMatchTheCpu(M);
    [Fact] public void AttentionKernelsMatchTheCpu() => DeviceBackwardChecks.AttentionKernelsMatchTheCpu(M);
    [Fact] public void BackwardPassMatchesTheCpuPass() => DeviceBackwardChecks.BackwardPassMatchesTheCpuPass(M);
    [Fact] public void ComparisonCatchesABrokenInputAndASwappedSeed() => DeviceBackwardChecks.ComparisonCatchesABrokenInputAndASwappedSeed(M);
    [Fact] public void ErfGeluBackwardMatchesTheCpuPass() => DeviceBackwardChecks.ErfGeluBackwardMatchesTheCpuPass(w => new HookedTransformer(w).To(DeviceKind.IlgpuCpu));
}

public class IlgpuCpuAttributionTests
{
    private static HookedTransformer M => DeviceModels.IlgpuCpu;

    [Theory, InlineData("logit-diff"), InlineData("prob-diff"), InlineData("logit-diff-to-max")]
    public void EverySweepMatchesTheCpuEngine(string metric) => DeviceAttributionChecks.EverySweepMatchesTheCpuEngine(M, metric);

    [Fact] public void ChunksAndLayerSelectionsMatchTheCpuEngine() => DeviceAttributionChecks.ChunksAndLayerSelectionsMatchTheCpuEngine(M);
    [Fact] public void EdgeAttributionMatchesTheCpu() => DeviceAttributionChecks.EdgeAttributionMatchesTheCpu(M);
}
