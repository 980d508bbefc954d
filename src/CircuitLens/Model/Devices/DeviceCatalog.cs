// What devices this machine offers (`circuitlens devices`): the CPU SIMD engine, every CUDA device
// ILGPU can see (name, memory, compute capability) and ILGPU's CPU accelerator.
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace CircuitLens.Model.Devices;

/// <summary>One usable device: <paramref name="Device"/> is the --device value that selects it.</summary>
public sealed record DeviceInfo(string Device, string Name, long? MemoryBytes, string? ComputeCapability, string Note);

public static class DeviceCatalog
{
    /// <summary>Every device that can run the model here; CUDA entries only when a driver and a GPU are visible.</summary>
    public static IReadOnlyList<DeviceInfo> List()
    {
        var list = new List<DeviceInfo>
        {
            new("cpu", $"{Environment.ProcessorCount} cores, SIMD engine", null, null, "default"),
        };
        list.AddRange(CudaDevices(out _));
        list.Add(new("ilgpu-cpu", "ILGPU CPU accelerator", null, null, "the ILGPU kernels on the CPU, for tests (slow)"));
        return list;
    }

    /// <summary>The CUDA devices ILGPU sees; <paramref name="whyNone"/> says why there are none.</summary>
    public static IReadOnlyList<DeviceInfo> CudaDevices(out string? whyNone)
    {
        try
        {
            using var context = Context.Create(b => b.Cuda());
            var found = new List<DeviceInfo>();
            foreach (var d in context.GetCudaDevices())
                found.Add(new DeviceInfo("cuda", d.Name, d.MemorySize, d.Architecture is { } a ? $"{a.Major}.{a.Minor}" : null, $"{d.NumMultiprocessors} SMs"));
            whyNone = found.Count == 0 ? "no CUDA device visible (no NVIDIA driver or no GPU)" : null;
            return found;
        }
        catch (Exception e)
        {
            whyNone = $"CUDA not usable: {e.GetType().Name}: {e.Message.Split('\n')[0]}";
            return [];
        }
    }
}
