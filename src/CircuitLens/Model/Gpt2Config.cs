// Every hyper-parameter of a GPT-2-family model, read from a Hugging Face config.json.
// Only the pre-LN GPT-2 architecture with learned absolute positions is supported.
using System.Text.Json;

namespace CircuitLens.Model;

public sealed record Gpt2Config
{
    public required int NLayers { get; init; }
    public required int NHeads { get; init; }
    public required int DModel { get; init; }
    public required int DMlp { get; init; }
    public required int NCtx { get; init; }
    public required int VocabSize { get; init; }
    public float LayerNormEps { get; init; } = 1e-5f;
    /// <summary>"gelu_new" (tanh approximation, GPT-2) or "gelu" (exact erf form).</summary>
    public string Activation { get; init; } = "gelu_new";
    public string ModelName { get; init; } = "gpt2";

    public int DHead => DModel / NHeads;

    /// <summary>GPT-2 small's shapes (124M): useful for benchmarks with random weights.</summary>
    public static Gpt2Config Gpt2Small => new() { NLayers = 12, NHeads = 12, DModel = 768, DMlp = 3072, NCtx = 1024, VocabSize = 50257, ModelName = "gpt2-small-shaped" };

    public static Gpt2Config FromJsonFile(string path)
    {
        if (!File.Exists(path)) throw new CircuitLensException($"{path}: config.json not found");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return FromJson(doc.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new CircuitLensException($"{path}: invalid JSON ({e.Message.Split('\n')[0]})");
        }
    }

    internal static Gpt2Config FromJson(JsonElement root, string source)
    {
        int Int(string name, int? fallback = null)
        {
            if (root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i > 0) return i;
            if (root.TryGetProperty(name, out var bad) && bad.ValueKind != JsonValueKind.Null)
                throw new CircuitLensException($"{source}: field '{name}' must be a positive integer");
            return fallback ?? throw new CircuitLensException($"{source}: missing field '{name}'");
        }
        if (root.TryGetProperty("model_type", out var mt) && mt.GetString() is { } type && type != "gpt2")
            throw new CircuitLensException($"{source}: model_type '{type}' is not supported (only gpt2)");
        int d = Int("n_embd");
        int h = Int("n_head");
        if (d % h != 0) throw new CircuitLensException($"{source}: n_embd {d} is not divisible by n_head {h}");
        string act = root.TryGetProperty("activation_function", out var a) ? a.GetString() ?? "gelu_new" : "gelu_new";
        if (act != "gelu_new" && act != "gelu" && act != "gelu_pytorch_tanh")
            throw new CircuitLensException($"{source}: activation_function '{act}' is not supported (gelu_new, gelu_pytorch_tanh, gelu)");
        int ctx = Int("n_positions", root.TryGetProperty("n_ctx", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : null);
        int inner = root.TryGetProperty("n_inner", out var ni) && ni.ValueKind == JsonValueKind.Number ? ni.GetInt32() : 4 * d;
        float eps = root.TryGetProperty("layer_norm_epsilon", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetSingle() : 1e-5f;
        string name = root.TryGetProperty("_name_or_path", out var np) && np.ValueKind == JsonValueKind.String ? np.GetString()! : "gpt2";
        return new Gpt2Config
        {
            NLayers = Int("n_layer"), NHeads = h, DModel = d, DMlp = inner, NCtx = ctx,
            VocabSize = Int("vocab_size"), LayerNormEps = eps,
            Activation = act == "gelu_pytorch_tanh" ? "gelu_new" : act, ModelName = name,
        };
    }
}
