// Every ILGPU kernel, run on ILGPU's CPU accelerator in CI, through the forward-pass checks.
using CircuitLens.Model;
using CircuitLens.Model.Devices;

namespace CircuitLens.Tests.Devices;

public class IlgpuCpuForwardTests
{
    private static HookedTransformer M => DeviceModels.IlgpuCpu;

    [Fact] public void LastPositionLogitsMatchReference() => DeviceForwardChecks.LastPositionLogitsMatchReference(M);
    [Fact] public void AllPositionLogitsMatchReference() => DeviceForwardChecks.AllPositionLogitsMatchReference(M);
    [Fact] public void EveryCachedActivationMatchesReference() => DeviceForwardChecks.EveryCachedActivationMatchesReference(M);
    [Fact] public void PaddedBatchMatchesEachPromptAlone() => DeviceForwardChecks.PaddedBatchMatchesEachPromptAlone(M);
    [Fact] public void StartAndStopAtLayerReproduceTheFullRun() => DeviceForwardChecks.StartAndStopAtLayerReproduceTheFullRun(M);
    [Fact] public void HooksEditActivationsOnTheDevice() => DeviceForwardChecks.HooksEditActivationsOnTheDevice(M);
    [Fact] public void HookResultMatchesTheCpuAndSumsToAttentionOutput() => DeviceForwardChecks.HookResultMatchesTheCpuAndSumsToAttentionOutput(M);
    [Fact] public void ErfGeluMatchesTheCpuEngine() => DeviceForwardChecks.ErfGeluMatchesTheCpuEngine(w => new HookedTransformer(w).To(DeviceKind.IlgpuCpu));

    [Fact]
    public void DescriptionNamesTheDeviceAndTheGemm()
    {
        Assert.Equal(DeviceKind.IlgpuCpu, M.Device);
        Assert.StartsWith("ilgpu-cpu:", M.DeviceDescription);
        Assert.Contains("GEMM row·column kernel", M.DeviceDescription);
    }
}
