// A hook sees one activation during the forward pass and may change it in place
// (TransformerLens' fwd_hooks). The tensor is the live buffer: copy it to keep it.
using CircuitLens.Tensors;

namespace CircuitLens.Hooks;

/// <summary>Reads or edits <paramref name="activation"/> in place.</summary>
public delegate void HookFunction(Tensor activation, HookContext context);

/// <summary>Where a hook fired: the hook's name, point, layer, and the batch being run.</summary>
public sealed record HookContext(string Name, HookPoint Point, int Layer, Model.TokenBatch Batch);

/// <summary>A hook bound to a hook name, e.g. ("blocks.9.attn.hook_z", fn).</summary>
public readonly record struct NamedHook(string Name, HookFunction Function);
