// Path patching on ILGPU's CPU accelerator (what CI runs): the fast engine's device rows and the plain engine.
using CircuitLens.Model;

namespace CircuitLens.Tests.Devices;

public class IlgpuCpuPathPatchingTests
{
    private static HookedTransformer M => DeviceModels.IlgpuCpu;

    [Fact] public void SendersMatchTheFixtureReference() => DevicePathPatchingChecks.SendersMatchTheFixtureReference(M);
    [Fact] public void PaddedBatchMatchesTheCpuEngine() => DevicePathPatchingChecks.PaddedBatchMatchesTheCpuEngine(M);
}
