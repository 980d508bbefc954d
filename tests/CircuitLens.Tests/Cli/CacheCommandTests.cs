// `circuitlens cache` end to end: every activation against the float64 reference cache, the --names
// filter, the single safetensors file, and a bad regular expression as a user error.
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class CacheCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clicache-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] ExpectedFiles => Directory.GetFiles(TinyGpt2.Expected("cache_prompt0"), "*.npy");

    [Fact]
    public void SavesEveryActivationMatchingTheReference()
    {
        string outDir = Path.Combine(_dir, "cache");
        CliRunner.Ok("cache", "--model", CliFixture.Model, "--prompt", CliFixture.Prompt0, "--no-bos", "--out", outDir);

        Assert.Equal(38, ExpectedFiles.Length);
        foreach (var expected in ExpectedFiles)
        {
            string name = Path.GetFileName(expected);
            string actual = Path.Combine(outDir, name);
            Assert.True(File.Exists(actual), $"missing {name}");
            TensorAssert.Close(NpyFile.Read(expected), NpyFile.Read(actual), name);
        }
    }

    [Fact]
    public void NamesFilterKeepsOnlyMatchingHooks()
    {
        string outDir = Path.Combine(_dir, "z");
        CliRunner.Ok("cache", "--model", CliFixture.Model, "--prompt", CliFixture.Prompt0, "--no-bos", "--out", outDir, "--names", "hook_z$");

        var names = Directory.GetFiles(outDir).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(new[] { "blocks.0.attn.hook_z.npy", "blocks.1.attn.hook_z.npy", "blocks.2.attn.hook_z.npy" }, names);
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("cache_prompt0", "blocks.1.attn.hook_z.npy")), NpyFile.Read(Path.Combine(outDir, "blocks.1.attn.hook_z.npy")), "hook_z");
    }

    [Fact]
    public void SafetensorsFileHoldsTheSameTensors()
    {
        string outDir = Path.Combine(_dir, "st"), file = Path.Combine(_dir, "cache.safetensors");
        CliRunner.Ok("cache", "--model", CliFixture.Model, "--prompt", CliFixture.Prompt0, "--no-bos", "--out", outDir, "--safetensors", file);

        using var st = SafetensorsFile.Open(file);
        Assert.Equal(Directory.GetFiles(outDir, "*.npy").Length, st.Entries.Count);   // every hook, a superset of the reference's
        foreach (var expected in ExpectedFiles)
        {
            string name = Path.GetFileNameWithoutExtension(expected);
            TensorAssert.Close(NpyFile.Read(expected), st.ReadTensor(name), name);
        }
        Assert.Equal("false", st.Metadata["prepend_bos"]);
        Assert.Equal(string.Join(",", TinyGpt2.PromptIds[0]), st.Metadata["tokens"]);
    }

    [Fact]
    public void InvalidRegexIsOneErrorLine()
    {
        string outDir = Path.Combine(_dir, "bad");
        var result = CliRunner.Run("cache", "--model", CliFixture.Model, "--prompt", "Hello", "--out", outDir, "--names", "hook_(z");
        CliRunner.AssertUserError(result, "--names", "invalid regular expression");
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void RegexMatchingNothingIsAUserError()
    {
        var result = CliRunner.Run("cache", "--model", CliFixture.Model, "--prompt", "Hello", "--out", Path.Combine(_dir, "none"), "--names", "no_such_hook");
        CliRunner.AssertUserError(result, "matches no hook name");
    }
}
