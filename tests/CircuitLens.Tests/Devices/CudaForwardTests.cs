// The same forward-pass checks on a CUDA GPU; skipped with the reason where ILGPU sees no CUDA device.
using CircuitLens.Model;
using CircuitLens.Model.Devices;

namespace CircuitLens.Tests.Devices;

public class CudaForwardTests
{
    private static HookedTransformer M => DeviceModels.Cuda;

    [CudaFact] public void LastPositionLogitsMatchReference() => DeviceForwardChecks.LastPositionLogitsMatchReference(M);
    [CudaFact] public void AllPositionLogitsMatchReference() => DeviceForwardChecks.AllPositionLogitsMatchReference(M);
    [CudaFact] public void EveryCachedActivationMatchesReference() => DeviceForwardChecks.EveryCachedActivationMatchesReference(M);
    [CudaFact] public void PaddedBatchMatchesEachPromptAlone() => DeviceForwardChecks.PaddedBatchMatchesEachPromptAlone(M);
    [CudaFact] public void StartAndStopAtLayerReproduceTheFullRun() => DeviceForwardChecks.StartAndStopAtLayerReproduceTheFullRun(M);
    [CudaFact] public void HooksEditActivationsOnTheDevice() => DeviceForwardChecks.HooksEditActivationsOnTheDevice(M);
    [CudaFact] public void HookResultMatchesTheCpuAndSumsToAttentionOutput() => DeviceForwardChecks.HookResultMatchesTheCpuAndSumsToAttentionOutput(M);
    [CudaFact] public void ErfGeluMatchesTheCpuEngine() => DeviceForwardChecks.ErfGeluMatchesTheCpuEngine(w => new HookedTransformer(w).To(DeviceKind.Cuda));
}
