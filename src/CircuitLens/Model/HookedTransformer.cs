// The public face of a loaded model, in TransformerLens' vocabulary: ToTokens, Run, RunWithCache,
// RunWithHooks. It wires weights, tokenizer and hooks together; the math is in Gpt2Forward,
// loading in CheckpointLoader, analyses in Patching.
using System.Collections.Concurrent;
using CircuitLens.Hooks;
using CircuitLens.Tensors;
using CircuitLens.Tokenization;

namespace CircuitLens.Model;

public sealed partial class HookedTransformer
{
    private readonly ConcurrentBag<Gpt2Forward> _passes = [];

    public Gpt2Config Config { get; }
    public Gpt2Weights Weights { get; }
    public Gpt2Tokenizer Tokenizer { get; }

    public HookedTransformer(Gpt2Weights weights, Gpt2Tokenizer? tokenizer = null)
    {
        Weights = weights;
        Config = weights.Config;
        Tokenizer = tokenizer ?? Gpt2Tokenizer.Default;
    }

    /// <summary>Loads a checkpoint directory (config.json + model.safetensors, and vocab.json/merges.txt when present).</summary>
    public static HookedTransformer FromDirectory(string directory) =>
        new(CheckpointLoader.Load(directory), Gpt2Tokenizer.FromModelDirectory(directory));

    /// <summary>Loads a local model directory or a Hugging Face hub id (from the shared hub cache, downloading when needed).</summary>
    public static HookedTransformer FromPretrained(string model, Hub.HubOptions? hub = null, CancellationToken ct = default) =>
        FromDirectory(Hub.ModelLocator.Resolve(model, hub ?? Hub.HubOptions.FromEnvironment(), ct));

    /// <summary>Token ids of <paramref name="text"/>, with &lt;|endoftext|&gt; prepended when <paramref name="prependBos"/> (TransformerLens' default).</summary>
    public int[] ToTokens(string text, bool prependBos = true)
    {
        var ids = Tokenizer.Encode(text);
        if (!prependBos) return ids;
        int bos = Tokenizer.EndOfTextTokenId >= 0 ? Tokenizer.EndOfTextTokenId
            : throw new CircuitLensException($"this model's tokenizer has no {Gpt2Tokenizer.EndOfText} to prepend as BOS; use --no-bos");
        return [bos, .. ids];
    }

    /// <summary>A left-padded batch of several prompts.</summary>
    public TokenBatch ToTokens(IReadOnlyList<string> texts, bool prependBos = true) =>
        TokenBatch.FromSequences(texts.Select(t => ToTokens(t, prependBos)).ToList());

    public string ToText(ReadOnlySpan<int> ids) => Tokenizer.Decode(ids);

    /// <summary>Runs the model. Thread-safe: concurrent calls use separate workspaces.</summary>
    public ForwardResult Run(TokenBatch batch, ForwardOptions? options = null, IEnumerable<NamedHook>? hooks = null)
    {
        var registry = hooks is null ? HookRegistry.Empty : new HookRegistry(Config.NLayers, hooks);
        if (_backend is { } device) return device.Run(batch, options ?? ForwardOptions.Default, registry);
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
