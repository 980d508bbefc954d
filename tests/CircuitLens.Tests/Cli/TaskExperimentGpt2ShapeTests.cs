// The three task commands on a random model of GPT-2 small's shape (12 layers × 12 heads, d_model 768,
// the real vocabulary; GPT-2's init, year-token embeddings scaled up), written once as a checkpoint directory: each runs end to end with a couple of
// pairs and writes 12×12 head maps; greater-than uses the reported circuit (5.1 … 9.1, MLPs 8–11) for
// its year-probability maps and examines neurons of layers 8–11. Kept cheap (the exact sweeps are tested on
// the tiny fixture): one or two pairs, attribution patching for greater-than and acronyms.
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Tasks.GreaterThan;
using CircuitLens.Tokenization;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Cli;

public sealed class Gpt2ShapeCheckpoint : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("circuitlens-gpt2shape-").FullName;

    public Gpt2ShapeCheckpoint()
    {
        var w = Gpt2Weights.Random(Gpt2Config.Gpt2Small, seed: 11);
        // the 100 two-digit year tokens' (tied) embeddings scaled up, so greater-than prompts put real probability
        // on years and the prob-diff metric moves (beyond the engines' degenerate-pair threshold) with the start year
        var wte = w.Span(w.TokenEmbedding);
        foreach (int id in GreaterThanVocabulary.TwoDigitTokens.Select(Gpt2Tokenizer.Default.TokenId))
            for (int c = 0; c < 768; c++) wte[id * 768 + c] *= 20f;
        SafetensorsWriter.Write(Path.Combine(Dir, "model.safetensors"), w.All.Select(v => KeyValuePair.Create(v.Name, new Tensor(w.Read(v).ToArray(), v.Shape))));
        File.WriteAllText(Path.Combine(Dir, "config.json"), JsonSerializer.Serialize(new
        {
            model_type = "gpt2", n_layer = 12, n_head = 12, n_embd = 768, n_inner = 3072, n_positions = 1024, vocab_size = 50257,
            layer_norm_epsilon = 1e-5, activation_function = "gelu_new",
        }));
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

[Collection(ConsoleCollection.Name)]
public sealed class TaskExperimentGpt2ShapeTests(Gpt2ShapeCheckpoint checkpoint) : IClassFixture<Gpt2ShapeCheckpoint>, IDisposable
{
    private readonly string _runs = Directory.CreateTempSubdirectory("circuitlens-gpt2shape-runs-").FullName;

    public void Dispose() => Directory.Delete(_runs, recursive: true);

    private string Run(params string[] args)
    {
        var result = CliRunner.Ok([.. args, "--model", checkpoint.Dir, "--filter", "none", "--runs-dir", _runs]);
        string run = Path.GetDirectoryName(result.Stdout.Trim())!;
        PatchCommandTests.AssertSelfContainedReport(Path.Combine(run, "report.html"));
        return run;
    }

    [Fact]
    public void GreaterThanRunsOnGpt2SmallShapes()
    {
        string run = Run("greater-than", "--n", "2", "--method", "attribution");
        Assert.Equal([2, 12, 12], NpyFile.Read(Path.Combine(run, "patching", "head-z.npy")).Shape);
        Assert.Equal(12, NpyFile.Read(Path.Combine(run, "patching", "mlp-out.npy")).Dim(1));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!["results"]!;
        Assert.StartsWith("reported circuit", (string)json["circuit"]!);
        Assert.Contains("9.1", (string)json["circuit"]!);
        var neurons = json["neurons"]!.AsArray();
        Assert.Equal(40, neurons.Count);
        Assert.Equal([8, 9, 10, 11], neurons.Select(n => (int)n!["layer"]!).Distinct().Order());
        Assert.True(File.Exists(Path.Combine(run, "year-probabilities.png")));
    }

    [Fact]
    public void AcronymsRunsOnGpt2SmallShapes()
    {
        string run = Run("acronyms", "--n", "1", "--method", "attribution");
        Assert.Equal([3, 12, 12], NpyFile.Read(Path.Combine(run, "patching", "head-z.npy")).Shape);
        for (int step = 1; step <= 3; step++) Assert.Equal([12, 12], NpyFile.Read(Path.Combine(run, $"head-z_step{step}_normalized_mean.npy")).Shape);
    }

    [Fact]
    public void InductionRunsOnGpt2SmallShapes()
    {
        string run = Run("induction", "--n", "1", "--length", "8");
        Assert.Equal([1, 12, 12], NpyFile.Read(Path.Combine(run, "patching", "head-z.npy")).Shape);
        Assert.Equal([12, 12], NpyFile.Read(Path.Combine(run, "induction_scores.npy")).Shape);
        Assert.Equal([15], NpyFile.Read(Path.Combine(run, "loss_by_position.npy")).Shape);
    }
}
