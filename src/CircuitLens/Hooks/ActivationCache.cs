// Activations stored by hook name (TransformerLens' ActivationCache). Tensors keep the batch
// dimension; saving drops it for single-prompt caches when asked.
using CircuitLens.Tensors;

namespace CircuitLens.Hooks;

public sealed class ActivationCache
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public Tensor this[string name] => _tensors.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"activation '{name}' is not in the cache (cached: {_order.Count} names)");

    public Tensor this[HookPoint point, int layer] => this[HookNames.Name(point, layer)];

    public bool TryGet(string name, out Tensor tensor) => _tensors.TryGetValue(name, out tensor!);
    public bool Contains(string name) => _tensors.ContainsKey(name);
    public IReadOnlyList<string> Names => _order;
    public int Count => _order.Count;

    public void Set(string name, Tensor tensor)
    {
        if (!_tensors.ContainsKey(name)) _order.Add(name);
        _tensors[name] = tensor;
    }

    /// <summary>Batch row b of every activation, as a cache with the batch dimension dropped.</summary>
    public ActivationCache Row(int b)
    {
        var row = new ActivationCache();
        foreach (var name in _order)
        {
            var t = _tensors[name];
            row.Set(name, new Tensor(t.Slice(b).ToArray(), t.Shape[1..]));
        }
        return row;
    }

    /// <summary>Writes one "&lt;hook name&gt;.npy" per activation into <paramref name="directory"/> (each file atomically).</summary>
    public void SaveNpy(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var name in _order) NpyFile.Write(Path.Combine(directory, name + ".npy"), _tensors[name]);
    }

    /// <summary>Writes every activation into one safetensors file (F32, keys = hook names).</summary>
    public void SaveSafetensors(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafetensorsWriter.Write(path, _order.Select(n => KeyValuePair.Create(n, _tensors[n])), metadata);

    /// <summary>Reads a cache written by <see cref="SaveSafetensors"/>.</summary>
    public static ActivationCache LoadSafetensors(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var cache = new ActivationCache();
        foreach (var name in file.Entries.Keys) cache.Set(name, file.ReadTensor(name));
        return cache;
    }
}
