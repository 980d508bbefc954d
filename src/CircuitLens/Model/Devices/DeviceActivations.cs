// Activations (or gradients) that stay on an ILGPU device, by hook name: ActivationCache's device twin.
// A device forward run fills it with copies of the activations whose names pass its filter (device to
// device, nothing crosses the bus); the device backward pass reads them and fills another with the
// gradients it keeps. Download gives host tensors, for tests and callers that need them.
using CircuitLens.Hooks;
using CircuitLens.Tensors;

namespace CircuitLens.Model.Devices;

internal sealed class DeviceActivations(IlgpuDevice device, Func<string, bool> keep) : IDisposable
{
    private readonly Dictionary<string, DeviceTensor> _tensors = new(StringComparer.Ordinal);

    public IlgpuDevice Device => device;

    public DeviceTensor this[string hookName] => _tensors.TryGetValue(hookName, out var t) ? t
        : throw new KeyNotFoundException($"'{hookName}' is not on the device (kept: {_tensors.Count} names)");

    public DeviceTensor this[HookPoint point, int layer] => this[HookNames.Name(point, layer)];

    public bool Wants(string hookName) => keep(hookName);
    public bool Contains(string hookName) => _tensors.ContainsKey(hookName);
    public IEnumerable<string> Names => _tensors.Keys;
    public long Bytes => _tensors.Values.Sum(t => t.Buffer.LengthInBytes);

    /// <summary>Copies <paramref name="source"/> (device to device) under its hook name when the filter keeps that name.</summary>
    public void Keep(HookPoint point, int layer, DeviceTensor source)
    {
        string name = HookNames.Name(point, layer);
        if (!keep(name)) return;
        var stored = Slot(name, source.Shape);
        var target = stored.View;
        ILGPU.Runtime.ArrayViewExtensions.CopyTo(source.View.SubView(0, target.Length), target);
    }

    /// <summary>The tensor stored under <paramref name="hookName"/>, allocated (or reallocated for a new shape) on first use.</summary>
    public DeviceTensor Slot(string hookName, int[] shape)
    {
        if (_tensors.TryGetValue(hookName, out var t))
        {
            if (t.Shape.SequenceEqual(shape)) return t;
            t.Dispose();
        }
        return _tensors[hookName] = new DeviceTensor(device, shape);
    }

    /// <summary>Host copies of every stored tensor, as gradients (the shapes of the activations).</summary>
    public ActivationGradients DownloadGradients()
    {
        var grads = new ActivationGradients();
        foreach (var (name, t) in _tensors) grads.Set(name, t.Download());
        return grads;
    }

    /// <summary>Host copies of every stored tensor, as a cache.</summary>
    public ActivationCache DownloadCache()
    {
        var cache = new ActivationCache();
        foreach (var (name, t) in _tensors) cache.Set(name, t.Download());
        return cache;
    }

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
    }
}
