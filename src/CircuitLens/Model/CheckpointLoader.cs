// Reads a Hugging Face GPT-2 checkpoint directory (config.json + model.safetensors) into one
// parameter buffer. Accepts the hub's key names and the "transformer."-prefixed ones; ignores the
// attention-mask buffers and a tied lm_head.weight. Names any missing, mis-shaped or unexpected tensor
// (all checked before the buffer is allocated) and any tensor holding NaN or ±Inf, so a corrupt
// checkpoint stops here instead of turning every later number into NaN.
using CircuitLens.Tensors;

namespace CircuitLens.Model;

public static class CheckpointLoader
{
    public static Gpt2Weights Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new CircuitLensException($"model directory '{directory}' does not exist");
        var config = Gpt2Config.FromJsonFile(Path.Combine(directory, "config.json"));
        string weightsPath = Path.Combine(directory, "model.safetensors");
        if (!File.Exists(weightsPath))
            throw new CircuitLensException($"{directory}: model.safetensors not found (only safetensors checkpoints are supported)");
        config = config with { ModelName = ModelNameOf(directory, config) };
        using var file = SafetensorsFile.Open(weightsPath);
        return Load(file, config);
    }

    public static Gpt2Weights Load(SafetensorsFile file, Gpt2Config config)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);   // canonical name -> key in file
        foreach (var key in file.Entries.Keys)
        {
            string name = key.StartsWith("transformer.", StringComparison.Ordinal) ? key["transformer.".Length..] : key;
            if (IsIgnored(name)) continue;
            if (!keys.TryAdd(name, key))
                throw new CircuitLensException($"{file.Path}: tensor '{name}' appears twice (with and without the 'transformer.' prefix)");
        }
        var layout = Gpt2Weights.Layout(config);
        foreach (var view in layout)
        {
            if (!keys.TryGetValue(view.Name, out var key))
                throw new CircuitLensException($"{file.Path}: missing tensor '{view.Name}' (expected shape [{string.Join(", ", view.Shape)}])");
            var entry = file.Entries[key];
            if (!entry.Shape.AsSpan().SequenceEqual(view.Shape))
                throw new CircuitLensException($"{file.Path}: tensor '{key}' has shape {entry.ShapeString}, expected [{string.Join(", ", view.Shape)}] for config {config.NLayers} layers, d_model {config.DModel}, vocab {config.VocabSize}");
        }
        var expected = layout.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var unexpected = keys.Where(k => !expected.Contains(k.Key)).Select(k => k.Value).Order(StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
            throw new CircuitLensException(
                $"{file.Path}: {unexpected.Count} unexpected tensor{(unexpected.Count == 1 ? "" : "s")} for config {config.NLayers} layers "
                + $"({string.Join(", ", unexpected.Take(4).Select(k => $"'{k}'"))}{(unexpected.Count > 4 ? ", …" : "")}); does config.json's n_layer match the checkpoint?");

        var weights = new Gpt2Weights(config);
        foreach (var view in weights.All)
        {
            string key = keys[view.Name];
            var span = weights.Span(view);
            file.ReadFloat32(key, span);
            CheckFinite(file.Path, key, span);
        }
        return weights;
    }

    // Any NaN or ±Inf in x makes x·0 NaN, so one vectorised pass finds out; only a bad tensor is scanned again to say where.
    private static void CheckFinite(string path, string key, ReadOnlySpan<float> values)
    {
        const int Block = 1 << 16;
        for (int start = 0; start < values.Length; start += Block)
        {
            var block = values.Slice(start, Math.Min(Block, values.Length - start));
            if (float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Dot(block, Zeros.AsSpan(0, block.Length)))) continue;
            int count = 0, first = -1;
            for (int i = 0; i < values.Length; i++)
                if (!float.IsFinite(values[i])) { count++; if (first < 0) first = i; }
            throw new CircuitLensException(
                $"{path}: tensor '{key}' holds {count} non-finite value{(count == 1 ? "" : "s")} (NaN or ±Inf; the first, {values[first]}, at flat index {first}); the checkpoint is corrupt");
        }
    }

    private static readonly float[] Zeros = new float[1 << 16];

    // Buffers that carry no parameters, and the tied unembedding (GPT-2 reuses wte).
    private static bool IsIgnored(string name) =>
        name.EndsWith(".attn.bias", StringComparison.Ordinal) || name.EndsWith(".attn.masked_bias", StringComparison.Ordinal)
        || name == "lm_head.weight";

    private static string ModelNameOf(string directory, Gpt2Config config)
    {
        // hub snapshots live in .../models--owner--name/snapshots/<commit>: report owner/name
        var full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Directory.GetParent(full);
        if (parent?.Name == "snapshots" && parent.Parent?.Name.StartsWith("models--", StringComparison.Ordinal) == true)
            return parent.Parent.Name["models--".Length..].Replace("--", "/");
        if (config.ModelName is { Length: > 0 } n && n != "gpt2") return n;
        // A folder named just "model" (or "checkpoint", ...) says nothing: name it after its parent, e.g. tiny-gpt2/model → tiny-gpt2.
        string folder = Path.GetFileName(full);
        return GenericFolderNames.Contains(folder) && parent is not null && parent.Name.Length > 0 ? parent.Name : folder;
    }

    private static readonly HashSet<string> GenericFolderNames = new(StringComparer.OrdinalIgnoreCase) { "model", "models", "checkpoint", "weights", "hf", "final" };
}
