// The same path-patching checks on a CUDA GPU; skipped with the reason where ILGPU sees no CUDA device.
using CircuitLens.Model;

namespace CircuitLens.Tests.Devices;

public class CudaPathPatchingTests
{
    private static HookedTransformer M => DeviceModels.Cuda;

    [CudaFact] public void SendersMatchTheFixtureReference() => DevicePathPatchingChecks.SendersMatchTheFixtureReference(M);
    [CudaFact] public void PaddedBatchMatchesTheCpuEngine() => DevicePathPatchingChecks.PaddedBatchMatchesTheCpuEngine(M);
}
