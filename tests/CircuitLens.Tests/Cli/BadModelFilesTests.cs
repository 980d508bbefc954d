// Damaged model directories through the CLI (issue 11, items 4–6): a safetensors header length off by one
// or four, config.json fields of the wrong type, NaN weights, extra layers. Each used to exit 0 with shifted
// or NaN numbers, or 70 with an internal error; each must now be one "error:" line, exit 1, nothing on stdout.
using System.Buffers.Binary;
using System.Text.Json.Nodes;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class BadModelFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-climodel-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A copy of the tiny fixture with its files edited.
    private string Damaged(Func<byte[], byte[]>? weights = null, Action<JsonObject>? config = null)
    {
        string dir = Path.Combine(_dir, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var bytes = File.ReadAllBytes(Path.Combine(TinyGpt2.ModelDir, "model.safetensors"));
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), weights is null ? bytes : weights(bytes));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyGpt2.ModelDir, "config.json")))!.AsObject();
        config?.Invoke(json);
        File.WriteAllText(Path.Combine(dir, "config.json"), json.ToJsonString());
        return dir;
    }

    private static Func<byte[], byte[]> HeaderLength(int delta) => bytes =>
    {
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)((long)length + delta));
        return bytes;
    };

    private static CliResult Logits(string model) => CliRunner.Run("logits", "--model", model, "--prompt", CliFixture.Prompt0, "--no-bos");

    [Theory]
    [InlineData(-1)]
    [InlineData(-4)]
    public void HeaderLengthOffByAFewBytesIsAnError(int delta)
    {
        var result = Logits(Damaged(weights: HeaderLength(delta)));
        CliRunner.AssertUserError(result, "model.safetensors", "header length");
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("n_ctx", "-5")]
    [InlineData("n_ctx", "1.5")]
    [InlineData("n_ctx", "1e20")]
    [InlineData("model_type", "123")]
    [InlineData("activation_function", "5")]
    [InlineData("n_inner", "-1")]
    [InlineData("n_inner", "1.5")]
    [InlineData("layer_norm_epsilon", "-1")]
    public void ConfigFieldOfTheWrongTypeOrValueIsAnError(string field, string raw)
    {
        var result = Logits(Damaged(config: c => c[field] = JsonNode.Parse(raw)));
        CliRunner.AssertUserError(result, "config.json", $"'{field}'");
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public void ConfigWithAByteOrderMarkWorks()
    {
        string dir = Damaged();
        string path = Path.Combine(dir, "config.json");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(path)]);
        CliRunner.Ok("logits", "--model", dir, "--prompt", CliFixture.Prompt0, "--no-bos");
    }

    [Fact]
    public void CheckpointWithMoreLayersThanConfigIsAnError()
    {
        var result = Logits(Damaged(config: c => c["n_layer"] = (int)c["n_layer"]! - 1));
        CliRunner.AssertUserError(result, "unexpected tensor", "h.");
    }
}
