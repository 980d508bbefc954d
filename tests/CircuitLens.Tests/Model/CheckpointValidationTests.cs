// Checkpoints that used to load silently (issue 11, items 5 and 6): NaN or ±Inf weights stop the load
// naming the tensor (before, `logits` printed NaN and `generate` decoded NaN as token 0), and a checkpoint
// with more layers than config.json's n_layer names the tensors it did not expect. Finite weights whose
// activations overflow stop `logits` and `generate` naming the first non-finite hook point.
using System.Text.Json;
using CircuitLens.Model;
using CircuitLens.Tensors;
using CircuitLens.Tests.Cli;
using CircuitLens.Tests.IO;

namespace CircuitLens.Tests.Model;

[Collection(ConsoleCollection.Name)]
public sealed class CheckpointValidationTests : IDisposable
{
    private static readonly Gpt2Config Small = new() { NLayers = 2, NHeads = 2, DModel = 16, DMlp = 64, NCtx = 16, VocabSize = 50257 };
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private void Write(Gpt2Weights weights, int configLayers, Action<string, float[]>? edit = null)
    {
        var tensors = weights.All.Select(v =>
        {
            var data = weights.Read(v).ToArray();
            edit?.Invoke(v.Name, data);
            return KeyValuePair.Create(v.Name, new Tensor(data, v.Shape));
        }).ToList();
        SafetensorsWriter.Write(_dir.File("model.safetensors"), tensors);
        File.WriteAllText(_dir.File("config.json"), JsonSerializer.Serialize(new
        {
            model_type = "gpt2", n_layer = configLayers, n_head = Small.NHeads, n_embd = Small.DModel, n_inner = Small.DMlp,
            n_positions = Small.NCtx, vocab_size = Small.VocabSize, layer_norm_epsilon = 1e-5,
        }));
    }

    [Theory]
    [InlineData("h.1.attn.c_attn.weight", float.NaN)]
    [InlineData("wte.weight", float.PositiveInfinity)]
    [InlineData("ln_f.bias", float.NegativeInfinity)]
    public void NonFiniteWeightIsRefusedNamingTheTensor(string tensor, float bad)
    {
        Write(Gpt2Weights.Random(Small, seed: 1), Small.NLayers, (name, data) =>
        {
            if (name != tensor) return;
            data[data.Length - 1] = bad;
            data[data.Length / 2] = bad;
        });
        var e = Assert.Throws<CircuitLensException>(() => CheckpointLoader.Load(_dir.Path));
        Assert.Contains($"'{tensor}'", e.Message);
        Assert.Contains("holds 2 non-finite values", e.Message);
    }

    [Fact]
    public void NonFiniteWeightIsOneErrorLineFromTheCli()
    {
        Write(Gpt2Weights.Random(Small, seed: 1), Small.NLayers, (name, data) => { if (name == "h.0.mlp.c_fc.weight") data[5] = float.NaN; });
        var result = CliRunner.Run("logits", "--model", _dir.Path, "--prompt", "hello");
        CliRunner.AssertUserError(result, "h.0.mlp.c_fc.weight", "NaN");
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("logits")]
    [InlineData("generate")]
    public void FiniteWeightsWhoseActivationsOverflowStopTheCommandNamingTheHookPoint(string command)
    {
        // Each bias is finite; their sum in layer 1's residual stream is not.
        Write(Gpt2Weights.Random(Small, seed: 1), Small.NLayers, (name, data) =>
        {
            if (name is "h.1.attn.c_proj.bias" or "h.1.mlp.c_proj.bias") Array.Fill(data, 3e38f);
        });
        string save = _dir.File("logits.npy");
        var result = command == "logits"
            ? CliRunner.Run("logits", "--model", _dir.Path, "--prompt", "hello there", "--save", save)
            : CliRunner.Run("generate", "--model", _dir.Path, "--prompt", "hello there", "--max-new-tokens", "3");
        CliRunner.AssertUserError(result, "the logits hold", "blocks.1.");
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(save));
    }

    [Fact]
    public void MoreLayersThanConfigSaysNamesTheUnexpectedTensors()
    {
        Write(Gpt2Weights.Random(Small with { NLayers = 3 }, seed: 2), configLayers: 2);
        var e = Assert.Throws<CircuitLensException>(() => CheckpointLoader.Load(_dir.Path));
        Assert.Contains("12 unexpected tensors", e.Message);
        Assert.Contains("'h.2.attn.c_attn.bias'", e.Message);
        Assert.Contains("n_layer", e.Message);
    }

    [Fact]
    public void FiniteCheckpointStillLoadsBitForBit()
    {
        var weights = Gpt2Weights.Random(Small, seed: 3);
        Write(weights, Small.NLayers);
        var loaded = CheckpointLoader.Load(_dir.Path);
        Assert.Equal(weights.Buffer, loaded.Buffer);
    }
}
