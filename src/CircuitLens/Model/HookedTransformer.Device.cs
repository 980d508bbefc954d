// Where a HookedTransformer runs (TransformerLens' model.to(device)): the CPU SIMD engine by default,
// or a device backend from Model/Devices. Everything that goes through Run — caches, hooks, generation,
// the plain patching engine — follows the device; so do the fast exact engine (DeviceSuffixRunner) and
// attribution patching (DeviceAttributionSums).
using CircuitLens.Model.Devices;

namespace CircuitLens.Model;

public sealed partial class HookedTransformer
{
    private IForwardBackend? _backend;

    public DeviceKind Device { get; private set; } = DeviceKind.Cpu;

    /// <summary>What runs the forward pass, e.g. "cuda: NVIDIA H100 80GB HBM3 (79.1 GiB), GEMM cuBLAS".</summary>
    public string DeviceDescription => _backend?.Description ?? $"cpu: SIMD engine ({Tensors.Gemm.MaxThreads} GEMM threads)";

    /// <summary>Device memory held by the weights and the activation arena (0 on the cpu device).</summary>
    public long DeviceMemoryBytes => _backend?.AllocatedBytes ?? 0;

    /// <summary>The most device memory the fast patching engines' buffers held at once on this device (0 on the cpu device).</summary>
    public long DeviceEnginePeakBytes => IlgpuBackend?.Device.PeakEngineBytes ?? 0;

    /// <summary>Bytes the fast patching engines copied to and from this device so far (not counting the forward passes' own).</summary>
    public (long Up, long Down) DeviceEngineTransferBytes => IlgpuBackend is { } b ? (b.Device.EngineBytesUp, b.Device.EngineBytesDown) : (0, 0);

    /// <summary>The device's fp32 peak GFLOP/s when known (CUDA), else null.</summary>
    public double? DevicePeakGflops => _backend?.PeakGflops;

    /// <summary>The ILGPU forward backend when the model is on an ILGPU device (the device engines run its block and their own kernels), else null.</summary>
    internal IlgpuForward? IlgpuBackend => _backend as IlgpuForward;

    /// <summary>Moves the model to <paramref name="device"/> (weights are uploaded once) and returns it. Throws a CircuitLensException when the device is not available.</summary>
    public HookedTransformer To(DeviceKind device)
    {
        if (device == Device && (device == DeviceKind.Cpu || _backend is not null)) return this;
        IForwardBackend? next = null;
        if (device != DeviceKind.Cpu)
        {
            var opened = IlgpuDevice.Open(device);
            try { next = new IlgpuForward(opened, Weights); }
            catch (Exception e) when (e is not CircuitLensException)
            {
                opened.Dispose();
                throw new CircuitLensException($"--device {device.Name()}: cannot upload the {Weights.ParameterCount * 4 / 1e9:F2} GB of weights ({e.GetType().Name}: {e.Message.Split('\n')[0]})");
            }
        }
        var old = _backend;
        _backend = next;
        Device = device;
        if (old is IlgpuForward f) { f.Dispose(); f.Device.Dispose(); }
        return this;
    }
}
