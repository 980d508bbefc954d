// Writes a model as a Hugging Face GPT-2 checkpoint directory: config.json + model.safetensors with
// the GPT2LMHeadModel key names (wte.weight, h.{l}.attn.c_attn.weight in Conv1D layout, …, tied
// unembedding). CheckpointLoader reads it back bit for bit. Both files are written atomically.
using System.Text.Json;
using CircuitLens.Tensors;

namespace CircuitLens.Model;

public static class CheckpointWriter
{
    public static void Write(string directory, Gpt2Weights w)
    {
        Directory.CreateDirectory(directory);
        var tensors = w.All.Select(v => KeyValuePair.Create(v.Name, new Tensor(w.Read(v).ToArray(), v.Shape)));
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var c = w.Config;
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model_type"] = "gpt2", ["architectures"] = new[] { "GPT2LMHeadModel" }, ["_name_or_path"] = c.ModelName,
            ["n_layer"] = c.NLayers, ["n_head"] = c.NHeads, ["n_embd"] = c.DModel, ["n_inner"] = c.DMlp, ["n_positions"] = c.NCtx, ["n_ctx"] = c.NCtx,
            ["vocab_size"] = c.VocabSize, ["layer_norm_epsilon"] = c.LayerNormEps, ["activation_function"] = c.Activation,
        }, new JsonSerializerOptions { WriteIndented = true }));
    }
}
