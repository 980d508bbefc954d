// Resolves hook names to (point, layer) slots once per run, so the forward pass checks an array
// entry instead of building strings at every hook point.
using CircuitLens.Tensors;

namespace CircuitLens.Hooks;

internal sealed class HookRegistry
{
    private readonly int _nLayers;
    private readonly List<HookFunction>?[] _slots;
    private readonly string?[] _names;

    public static readonly HookRegistry Empty = new(0, []);

    public HookRegistry(int nLayers, IEnumerable<NamedHook> hooks)
    {
        _nLayers = nLayers;
        int n = (int)HookPoint.ResidPre + nLayers * HookNames.LayerPointCount;
        _slots = new List<HookFunction>?[n];
        _names = new string?[n];
        foreach (var hook in hooks)
        {
            if (!HookNames.TryParse(hook.Name, nLayers, out var point, out int layer))
                throw new CircuitLensException($"unknown hook name '{hook.Name}' (model has {nLayers} layers; see HookNames.All)");
            int slot = Slot(point, layer);
            (_slots[slot] ??= []).Add(hook.Function);
            _names[slot] = hook.Name;
        }
        IsEmpty = _slots.All(s => s is null);
    }

    public bool IsEmpty { get; }

    public bool Active(HookPoint point, int layer = -1) => !IsEmpty && _slots[Slot(point, layer)] is not null;

    public void Fire(HookPoint point, int layer, Tensor activation, Model.TokenBatch batch)
    {
        if (IsEmpty) return;
        int slot = Slot(point, layer);
        var list = _slots[slot];
        if (list is null) return;
        var context = new HookContext(_names[slot]!, point, layer, batch);
        foreach (var fn in list) fn(activation, context);
    }

    private int Slot(HookPoint point, int layer) =>
        HookNames.IsLayerPoint(point) ? (int)HookPoint.ResidPre + layer * HookNames.LayerPointCount + (point - HookPoint.ResidPre) : (int)point;
}
