// Gradients of a scalar metric with respect to hook-point activations, by hook name, with the
// same shapes as the activations (the backward counterpart of ActivationCache). Holds only the
// names the caller asked to keep.
using CircuitLens.Hooks;
using CircuitLens.Tensors;

namespace CircuitLens.Model;

public sealed class ActivationGradients
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public Tensor this[string hookName] => _tensors.TryGetValue(hookName, out var t) ? t
        : throw new KeyNotFoundException($"gradient of '{hookName}' was not kept (kept: {_order.Count} names)");

    public Tensor this[HookPoint point, int layer] => this[HookNames.Name(point, layer)];

    public bool TryGet(string hookName, out Tensor tensor) => _tensors.TryGetValue(hookName, out tensor!);
    public bool Contains(string hookName) => _tensors.ContainsKey(hookName);
    /// <summary>Kept names, in backward order (last layer first).</summary>
    public IReadOnlyList<string> Names => _order;

    internal void Set(string hookName, Tensor tensor)
    {
        if (!_tensors.ContainsKey(hookName)) _order.Add(hookName);
        _tensors[hookName] = tensor;
    }
}
