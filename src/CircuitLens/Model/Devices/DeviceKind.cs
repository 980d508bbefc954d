// Where the forward pass runs: the SIMD engine on the CPU (default), ILGPU kernels on a CUDA GPU,
// or the very same ILGPU kernels on ILGPU's CPU accelerator (slow; it lets CI test every kernel).
namespace CircuitLens.Model.Devices;

public enum DeviceKind
{
    /// <summary>The blocked AVX-512/AVX2 engine (Gpt2Forward).</summary>
    Cpu,
    /// <summary>ILGPU kernels on the first CUDA device (cuBLAS for GEMM when libcublas loads).</summary>
    Cuda,
    /// <summary>ILGPU kernels on ILGPU's CPU accelerator.</summary>
    IlgpuCpu,
}

public static class DeviceKinds
{
    public const string Choices = "cpu, cuda, ilgpu-cpu";

    /// <summary>"cpu" | "cuda" | "ilgpu-cpu" (case-insensitive).</summary>
    public static DeviceKind Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "cpu" => DeviceKind.Cpu,
        "cuda" or "gpu" => DeviceKind.Cuda,
        "ilgpu-cpu" => DeviceKind.IlgpuCpu,
        _ => throw new CircuitLensException($"unknown device '{text}' (choose {Choices})"),
    };

    public static string Name(this DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => "cuda",
        _ => "ilgpu-cpu",
    };
}
