// `circuitlens logits` end to end: the top-K TSV on stdout against the float64 reference, the saved
// all-position logits, and BOS being prepended unless --no-bos.
using System.Globalization;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class LogitsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clilogits-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void PrintsTopFiveAndSavesAllPositionLogits()
    {
        string save = Path.Combine(_dir, "f.npy");
        var result = CliRunner.Ok("logits", "--model", CliFixture.Model, "--prompt", CliFixture.Prompt0, "--no-bos", "--top", "5", "--save", save);

        var lines = result.StdoutLines;
        Assert.Equal("rank\ttoken_id\ttoken\tlogit\tprob", lines[0]);
        Assert.Equal(6, lines.Length);
        var expected = NpyFile.Read(TinyGpt2.Expected("logits_last.npy")).Slice(0).ToArray();
        var expectedTop = Enumerable.Range(0, expected.Length).OrderByDescending(i => expected[i]).Take(5).ToArray();
        for (int r = 0; r < 5; r++)
        {
            var cells = lines[r + 1].Split('\t');
            Assert.Equal(5, cells.Length);
            Assert.Equal((r + 1).ToString(CultureInfo.InvariantCulture), cells[0]);
            int id = int.Parse(cells[1], CultureInfo.InvariantCulture);
            Assert.Equal(expectedTop[r], id);
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(TinyGpt2.Model.Tokenizer.TokenToString(id)), cells[2]);
            TensorAssert.Close([expected[id]], [float.Parse(cells[3], CultureInfo.InvariantCulture)], $"logit of rank {r + 1}");
            float prob = float.Parse(cells[4], CultureInfo.InvariantCulture);
            Assert.InRange(prob, 0f, 1f);
        }

        var saved = NpyFile.Read(save);
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("logits_all_prompt0.npy")), saved, "logits_all_prompt0");
    }

    [Fact]
    public void PrependsBosUnlessNoBos()
    {
        string withBos = Path.Combine(_dir, "bos.npy"), without = Path.Combine(_dir, "nobos.npy");
        CliRunner.Ok("logits", "--model", CliFixture.Model, "--prompt", CliFixture.Prompt0, "--top", "1", "--save", withBos);
        CliRunner.Ok("logits", "--model", CliFixture.Model, "--prompt", CliFixture.Prompt0, "--top", "1", "--no-bos", "--save", without);

        int t = TinyGpt2.PromptIds[0].Length;
        Assert.Equal(new[] { t + 1, 50257 }, NpyFile.Read(withBos).Shape);
        Assert.Equal(new[] { t, 50257 }, NpyFile.Read(without).Shape);
        // with BOS the first row is the prediction after <|endoftext|> alone, which the model computes the same way
        var bosOnly = TinyGpt2.Model.Forward(CircuitLens.Model.TokenBatch.Single([50256]), CircuitLens.Model.LogitsMode.All);
        TensorAssert.Close(bosOnly.Slice(0, 0), NpyFile.Read(withBos).Slice(0), "logits after BOS");
    }

    [Fact]
    public void WithoutSavePrintsOnlyTheTable()
    {
        var result = CliRunner.Ok("logits", "--model", CliFixture.Model, "--prompt", "Hello", "--top", "3");
        Assert.Equal(4, result.StdoutLines.Length);
        Assert.DoesNotContain("wrote", result.Stderr);
    }

    [Fact]
    public void ModelFilesMayBeSymlinks()
    {
        // the hub cache's layout: snapshots/<commit>/model.safetensors -> ../../blobs/<sha256>
        string blobs = Path.Combine(_dir, "blobs"), snapshot = Path.Combine(_dir, "snapshot");
        Directory.CreateDirectory(blobs);
        Directory.CreateDirectory(snapshot);
        foreach (var name in new[] { "config.json", "model.safetensors" })
        {
            File.Copy(Path.Combine(TinyGpt2.ModelDir, name), Path.Combine(blobs, name + ".blob"));
            File.CreateSymbolicLink(Path.Combine(snapshot, name), Path.Combine("..", "blobs", name + ".blob"));
        }
        string save = Path.Combine(_dir, "f.npy");
        CliRunner.Ok("logits", "--model", snapshot, "--prompt", CliFixture.Prompt0, "--no-bos", "--top", "1", "--save", save);
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("logits_all_prompt0.npy")), NpyFile.Read(save), "logits through symlinks");
    }

    [Fact]
    public void TopBelowOneIsAUserError()
    {
        CliRunner.AssertUserError(CliRunner.Run("logits", "--model", CliFixture.Model, "--prompt", "Hello", "--top", "0"), "--top");
    }
}
