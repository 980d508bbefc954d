// The fast path-patching engine on an ILGPU device (DevicePathRows) against the tiny fixture's float64 path
// patching (expected/circuits) and against the same engine on the CPU on a left-padded batch of another metric;
// and the plain engine on the device (it follows the device through hooks). Shared by ilgpu-cpu and cuda tests.
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Tensors;
using CircuitLens.Tests.Circuits;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Devices;

public static class DevicePathPatchingChecks
{
    /// <summary>Senders → logits and senders → the fixture's receiver heads, both engines on the device, against the reference.</summary>
    public static void SendersMatchTheFixtureReference(HookedTransformer device)
    {
        var data = CircuitFixtures.Batch();
        // small runs of senders (maxRowsPerRun) so a layer's senders span several device runs
        var logits = PathPatching.Run(device, data, PathReceivers.Logits, maxRowsPerRun: 5);
        TensorAssert.Close(NpyFile.Read(CircuitFixtures.File("path_patch_logits.npy")), logits.Patched, "path_patch_logits (fast, device)");
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", "clean_logit_diff.npy")).Data, logits.Clean, "clean");
        var expectedHeads = NpyFile.Read(CircuitFixtures.File("path_patch_heads.npy"));
        var heads = PathPatching.Run(device, data, CircuitFixtures.Receivers(), maxRowsPerRun: 9);
        TensorAssert.Close(expectedHeads, heads.Patched, "path_patch_heads (fast, device)");
        var plain = PathPatching.RunPlain(device, data, CircuitFixtures.Receivers());
        TensorAssert.Close(expectedHeads, plain.Patched, "path_patch_heads (plain, device)");
    }

    /// <summary>A left-padded batch (pairs of different lengths) under prob-diff: the device engine = the cpu engine.</summary>
    public static void PaddedBatchMatchesTheCpuEngine(HookedTransformer device)
    {
        var data = DeviceFastPatchingChecks.MixedLengthBatch("prob-diff");
        Assert.True(data.Clean.IsPadded);
        foreach (var spec in new[] { "logits", "2.1:q,1.3:v,2.0:k" })
        {
            var receivers = PathReceivers.Parse(spec, 3, 4);
            var cpu = PathPatching.Run(TinyGpt2.Model, data, receivers);
            var dev = PathPatching.Run(device, data, receivers);
            TensorAssert.Close(cpu.Patched, dev.Patched, $"prob-diff {spec}", atol: 1e-7, rtol: 1e-4);
            // some sender moves the metric far beyond that tolerance, so the comparison can fail
            Assert.Contains(Enumerable.Range(0, cpu.Patched.Length), i =>
                !float.IsNaN(cpu.Patched.Data[i]) && Math.Abs(cpu.Patched.Data[i] - cpu.Clean[i / (cpu.Patched.Length / data.Count)]) > 1e-5);
        }
    }
}
