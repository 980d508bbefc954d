// Checkpoint layouts the loader must accept: the hub's plain keys, "transformer."-prefixed keys with a
// tied lm_head.weight and masked_bias buffers, other model sizes, and the errors for what it must refuse.
using System.Text.Json;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Model;

public class CheckpointLoaderTests
{
    private static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cl-ckpt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void WriteCheckpoint(string dir, Gpt2Weights w, Func<string, string> rename, bool extras, string? configJson = null)
    {
        var tensors = w.All.Select(v => KeyValuePair.Create(rename(v.Name), new Tensor(w.Read(v).ToArray(), v.Shape))).ToList();
        if (extras)
        {
            tensors.Add(KeyValuePair.Create("lm_head.weight", new Tensor(w.Read(w.TokenEmbedding).ToArray(), w.TokenEmbedding.Shape)));
            for (int l = 0; l < w.Config.NLayers; l++)
            {
                tensors.Add(KeyValuePair.Create(rename($"h.{l}.attn.masked_bias"), new Tensor([-1e4f])));
                tensors.Add(KeyValuePair.Create(rename($"h.{l}.attn.bias"), Tensor.Zeros(1, 1, 4, 4)));
            }
        }
        SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(dir, "config.json"), configJson ?? JsonSerializer.Serialize(new
        {
            model_type = "gpt2", n_layer = w.Config.NLayers, n_head = w.Config.NHeads, n_embd = w.Config.DModel, n_inner = w.Config.DMlp,
            n_positions = w.Config.NCtx, vocab_size = w.Config.VocabSize, layer_norm_epsilon = 1e-5, activation_function = "gelu_new",
        }));
    }

    [Fact]
    public void PrefixedKeysWithTiedHeadAndBuffersGiveTheFixtureLogits()
    {
        string dir = TempDir();
        try
        {
            var fixture = TinyGpt2.Model;
            WriteCheckpoint(dir, fixture.Weights, n => "transformer." + n, extras: true);
            var model = HookedTransformer.FromDirectory(dir);
            var ids = TinyGpt2.PromptIds[0];
            var expected = NpyFile.Read(TinyGpt2.Expected("logits_last.npy"));
            TensorAssert.Close(expected.Slice(0), model.Forward(TokenBatch.Single(ids), LogitsMode.LastPosition).Slice(0, 0), "prefixed checkpoint logits");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void OtherSizesLoadAndMatchTheInMemoryModel()
    {
        string dir = TempDir();
        try
        {
            var cfg = new Gpt2Config { NLayers = 2, NHeads = 3, DModel = 48, DMlp = 100, NCtx = 32, VocabSize = 50257 };
            var weights = Gpt2Weights.Random(cfg, seed: 3);
            WriteCheckpoint(dir, weights, n => n, extras: false);
            var loaded = HookedTransformer.FromDirectory(dir);
            Assert.Equal(100, loaded.Config.DMlp);
            var batch = TokenBatch.FromSequences([[1, 2, 3, 4, 5], [7, 8]]);
            Assert.Equal(new HookedTransformer(weights).Forward(batch).Data, loaded.Forward(batch).Data);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MissingAndMisShapedTensorsAreNamed()
    {
        string dir = TempDir();
        try
        {
            var cfg = new Gpt2Config { NLayers = 1, NHeads = 2, DModel = 16, DMlp = 64, NCtx = 8, VocabSize = 50257 };
            var weights = Gpt2Weights.Random(cfg);
            WriteCheckpoint(dir, weights, n => n == "h.0.mlp.c_fc.bias" ? "h.0.mlp.c_fc.bias_renamed" : n, extras: false);
            var missing = Assert.Throws<CircuitLensException>(() => CheckpointLoader.Load(dir));
            Assert.Contains("missing tensor 'h.0.mlp.c_fc.bias'", missing.Message);

            WriteCheckpoint(dir, weights, n => n, extras: false, configJson: """{"model_type":"gpt2","n_layer":1,"n_head":2,"n_embd":16,"n_inner":32,"n_positions":8,"vocab_size":50257}""");
            var shape = Assert.Throws<CircuitLensException>(() => CheckpointLoader.Load(dir));
            Assert.Contains("h.0.mlp.c_fc.weight", shape.Message);
            Assert.Contains("[16, 64]", shape.Message);

            File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type":"llama","n_layer":1}""");
            Assert.Contains("llama", Assert.Throws<CircuitLensException>(() => CheckpointLoader.Load(dir)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AFolderCalledModelIsNamedAfterItsParent()
    {
        // The pictures and report name the model: the fixture lives in tiny-gpt2/model, and "model" says nothing.
        Assert.Equal("tiny-gpt2", CheckpointLoader.Load(TinyGpt2.ModelDir).Config.ModelName);
    }
}
