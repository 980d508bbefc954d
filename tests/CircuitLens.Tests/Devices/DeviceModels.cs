// The tiny GPT-2 fixture moved to each ILGPU device once per test run (the weights are shared with
// TinyGpt2.Model, which stays on the CPU), and the skip rule for CUDA tests on machines without a GPU.
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Devices;

public static class DeviceModels
{
    private static readonly Lazy<HookedTransformer> s_ilgpuCpu = new(() => OnDevice(DeviceKind.IlgpuCpu));
    private static readonly Lazy<HookedTransformer> s_cuda = new(() => OnDevice(DeviceKind.Cuda));

    public static HookedTransformer IlgpuCpu => s_ilgpuCpu.Value;
    public static HookedTransformer Cuda => s_cuda.Value;

    public static HookedTransformer OnDevice(DeviceKind device) =>
        new HookedTransformer(TinyGpt2.Model.Weights, TinyGpt2.Model.Tokenizer).To(device);
}

/// <summary>A fact that needs a CUDA device: skipped, with the reason, where ILGPU sees none.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> s_why = new(() =>
    {
        var devices = DeviceCatalog.CudaDevices(out string? why);
        return devices.Count > 0 ? null : $"needs a CUDA device: {why}";
    });

    public CudaFactAttribute()
    {
        if (s_why.Value is { } reason) Skip = reason;
    }
}
