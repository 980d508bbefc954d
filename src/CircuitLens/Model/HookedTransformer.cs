// The public face of a loaded model, in TransformerLens' vocabulary: ToTokens, Run, RunWithCache,
// RunWithHooks. It wires weights, tokenizer and hooks together; the math is in Gpt2Forward,
// loading in CheckpointLoader, analyses in Patching.
using System.Collections.Concurrent;
using CircuitLens.Hooks;
using CircuitLens.Tensors;

namespace CircuitLens.Model;

public sealed partial class HookedTransformer
{
    private readonly ConcurrentBag<Gpt2Forward> _passes = [];

    public Gpt2Config Config { get; }
    public Gpt2Weights Weights { get; }

    public HookedTransformer(Gpt2Weights weights)
    {
        Weights = weights;
        Config = weights.Config;
    }

    /// <summary>Runs the model. Thread-safe: concurrent calls use separate workspaces.</summary>
    public ForwardResult Run(TokenBatch batch, ForwardOptions? options = null, IEnumerable<NamedHook>? hooks = null)
    {
        var registry = hooks is null ? HookRegistry.Empty : new HookRegistry(Config.NLayers, hooks);
        if (!_passes.TryTake(out var pass)) pass = new Gpt2Forward(Weights);
        try { return pass.Run(batch, options ?? ForwardOptions.Default, registry); }
        finally { _passes.Add(pass); }
    }

    /// <summary>Logits (B,T,V), or (B,1,V) with <see cref="LogitsMode.LastPosition"/>.</summary>
    public Tensor Forward(TokenBatch batch, LogitsMode logits = LogitsMode.All) =>
        Run(batch, new ForwardOptions { Logits = logits }).Logits!;

    /// <summary>Runs with hooks that may read or overwrite activations in place (TransformerLens run_with_hooks).</summary>
    public ForwardResult RunWithHooks(TokenBatch batch, IEnumerable<NamedHook> hooks, ForwardOptions? options = null) =>
        Run(batch, options, hooks);

    /// <summary>Runs and stores a copy of every activation whose hook name passes <paramref name="namesFilter"/> (all when null).</summary>
    public (ForwardResult Result, ActivationCache Cache) RunWithCache(TokenBatch batch, Func<string, bool>? namesFilter = null,
        ForwardOptions? options = null, IEnumerable<NamedHook>? extraHooks = null)
    {
        var cache = new ActivationCache();
        var hooks = new List<NamedHook>(extraHooks ?? []);
        int first = options?.StartAtLayer ?? 0, stop = options?.StopAtLayer ?? Config.NLayers;
        foreach (var name in HookNames.All(Config.NLayers))
        {
            if (namesFilter is not null && !namesFilter(name)) continue;
            HookNames.TryParse(name, Config.NLayers, out var point, out int layer);
            if (HookNames.IsLayerPoint(point) && (layer < first || layer >= stop)) continue;
            hooks.Add(new NamedHook(name, (act, ctx) => cache.Set(ctx.Name, act.Clone())));
        }
        var result = Run(batch, options, hooks);
        return (result, cache);
    }
}
