// `circuitlens download` against a local fake hub (HF_ENDPOINT): the model directory on stdout, the
// files in the cache, then `logits --offline` from that cache giving the reference numbers; and an
// unknown repository as one error line.
using CircuitLens.Tensors;
using CircuitLens.Tests.IO;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class DownloadCommandTests : IDisposable
{
    private const string Repo = "someone/tiny-gpt2";
    private readonly FakeHubServer _server = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clidownload-").FullName;
    private readonly Dictionary<string, string?> _savedEnvironment = new();

    public DownloadCommandTests()
    {
        _server.AddRepo(Repo, "0123456789abcdef0123456789abcdef01234567", new Dictionary<string, byte[]>
        {
            ["config.json"] = File.ReadAllBytes(Path.Combine(TinyGpt2.ModelDir, "config.json")),
            ["model.safetensors"] = File.ReadAllBytes(Path.Combine(TinyGpt2.ModelDir, "model.safetensors")),
        }, "model.safetensors");
        SetEnvironment("HF_ENDPOINT", _server.Endpoint);
        SetEnvironment("HF_HUB_CACHE", Path.Combine(_dir, "hub"));
        SetEnvironment("HF_HUB_OFFLINE", null);
        SetEnvironment("HF_TOKEN", null);
    }

    private void SetEnvironment(string name, string? value)
    {
        _savedEnvironment.TryAdd(name, Environment.GetEnvironmentVariable(name));
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose()
    {
        foreach (var (name, value) in _savedEnvironment) Environment.SetEnvironmentVariable(name, value);
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void DownloadsThenRunsOfflineFromTheCache()
    {
        var result = CliRunner.Ok("download", Repo);
        string modelDir = Assert.Single(result.StdoutLines);
        Assert.StartsWith(Path.Combine(_dir, "hub"), modelDir);
        Assert.Equal(File.ReadAllBytes(Path.Combine(TinyGpt2.ModelDir, "model.safetensors")), File.ReadAllBytes(Path.Combine(modelDir, "model.safetensors")));

        _server.Dispose();   // from here on the network is gone
        string save = Path.Combine(_dir, "logits.npy");
        CliRunner.Ok("logits", "--model", Repo, "--offline", "--prompt", CliFixture.Prompt0, "--no-bos", "--top", "1", "--save", save);
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("logits_all_prompt0.npy")), NpyFile.Read(save), "logits from the cached model");

        // download of a cached model offline just prints the directory again
        Assert.Equal(modelDir, Assert.Single(CliRunner.Ok("download", Repo, "--offline").StdoutLines));
    }

    [Fact]
    public void UnknownRepositoryIsOneErrorLine()
    {
        var result = CliRunner.Run("download", "nobody/nothing", "--cache-dir", Path.Combine(_dir, "other"));
        CliRunner.AssertUserError(result, "nobody/nothing");
        Assert.Empty(result.Stdout);
    }
}
