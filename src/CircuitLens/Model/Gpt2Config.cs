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

    /// <summary>Reads and validates config.json: one <see cref="CircuitLensException"/> naming the file and field for anything wrong.</summary>
    public static Gpt2Config FromJsonFile(string path)
    {
        if (!File.Exists(path)) throw new CircuitLensException($"{path}: config.json not found");
        ReadOnlyMemory<byte> bytes = File.ReadAllBytes(path);
        if (bytes.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..]; // a UTF-8 byte-order mark is valid, if unusual
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return FromJson(doc.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new CircuitLensException($"{path}: invalid JSON ({e.Message.Split('\n')[0]})");
        }
        catch (InvalidOperationException e)
        {
            throw new CircuitLensException($"{path}: config.json holds text that is not valid ({e.Message.ReplaceLineEndings(" ")})");
        }
    }

    internal static Gpt2Config FromJson(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new CircuitLensException($"{source}: config.json must be a JSON object, found {Kind(root)}");

        JsonElement? Field(string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        // A positive JSON integer that fits an int: "1.5", "1e20", "-5", "\"128\"" and true are all refused by name.
        int? OptionalInt(string name)
        {
            if (Field(name) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.Number || !v.GetRawText().All(char.IsAsciiDigit) || !v.TryGetInt32(out int i) || i <= 0)
                throw new CircuitLensException($"{source}: field '{name}' must be a positive integer no larger than {int.MaxValue}, found {Shown(v)}");
            return i;
        }
        int Int(string name) => OptionalInt(name) ?? throw new CircuitLensException($"{source}: missing field '{name}'");

        string? OptionalString(string name)
        {
            if (Field(name) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.String) throw new CircuitLensException($"{source}: field '{name}' must be a string, found {Shown(v)}");
            return v.GetString();
        }

        if (OptionalString("model_type") is { } type && type != "gpt2")
            throw new CircuitLensException($"{source}: field 'model_type' is '{type}', which is not supported (only gpt2)");
        int d = Int("n_embd");
        int h = Int("n_head");
        if (d % h != 0) throw new CircuitLensException($"{source}: n_embd {d} is not divisible by n_head {h}");
        string act = OptionalString("activation_function") ?? "gelu_new";
        if (act != "gelu_new" && act != "gelu" && act != "gelu_pytorch_tanh")
            throw new CircuitLensException($"{source}: field 'activation_function' is '{act}', which is not supported (gelu_new, gelu_pytorch_tanh, gelu)");
        int? legacyCtx = OptionalInt("n_ctx");
        int ctx = OptionalInt("n_positions") ?? legacyCtx ?? throw new CircuitLensException($"{source}: missing field 'n_positions'");
        int layers = Int("n_layer");
        int vocab = Int("vocab_size");
        long innerDefault = 4L * d;
        int inner = OptionalInt("n_inner") ?? (innerDefault <= int.MaxValue ? (int)innerDefault
            : throw new CircuitLensException($"{source}: 4·n_embd = {innerDefault} is too large"));

        float eps = 1e-5f;
        if (Field("layer_norm_epsilon") is { } e)
        {
            float value = e.ValueKind == JsonValueKind.Number ? e.GetSingle() : float.NaN;
            if (!(value > 0) || !float.IsFinite(value))
                throw new CircuitLensException($"{source}: field 'layer_norm_epsilon' must be a positive finite number, found {Shown(e)}");
            eps = value;
        }
        string name = root.TryGetProperty("_name_or_path", out var np) && np.ValueKind == JsonValueKind.String ? np.GetString()! : "gpt2";

        // Refused before anything is allocated: the whole model lives in one float array.
        double D = d, I = inner; // double: the product of four ints can pass long's range
        double parameters = (double)vocab * D + (double)ctx * D + 2 * D + layers * (4 * D + 4 * D * D + 4 * D + 2 * D * I + I);
        if (parameters > Array.MaxLength)
            throw new CircuitLensException($"{source}: these sizes describe a model with {parameters:G4} parameters, more than one parameter buffer holds ({Array.MaxLength})");
        return new Gpt2Config
        {
            NLayers = layers, NHeads = h, DModel = d, DMlp = inner, NCtx = ctx,
            VocabSize = vocab, LayerNormEps = eps,
            Activation = act == "gelu_pytorch_tanh" ? "gelu_new" : act, ModelName = name,
        };
    }

    private static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => v.ValueKind.ToString().ToLowerInvariant(),
    };

    private static string Shown(JsonElement v)
    {
        string raw = v.GetRawText();
        return $"{Kind(v)} {(raw.Length > 40 ? raw[..40] + "…" : raw)}";
    }
}
