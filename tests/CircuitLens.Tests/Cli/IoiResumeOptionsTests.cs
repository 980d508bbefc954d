// `ioi --resume DIR` reads DIR/options.json: a malformed or out-of-range file is one `error:` line
// naming the file and the field before any stage runs (nothing is written), and a new run saves a
// local model directory as an absolute path, so resuming works from any working directory.
using System.Text.Json;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class IoiResumeOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-ioiresume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> Malformed => new()
    {
        { "{ not json", "not valid run options" },
        { "null", "not valid run options" },
        { "[1, 2]", "not valid run options" },
        { """{"Model": "gpt2", "N": "twelve"}""", "not valid run options" },
        { Options(o => o.Remove("Model")), "Model is missing" },
        { Options(o => o["N"] = -5), "N is '-5'" },
        { Options(o => o["N"] = 2147483647), "N is '2147483647'" },
        { Options(o => o["Pattern"] = "zigzag"), "Pattern is 'zigzag'" },
        { Options(o => o["Corruption"] = "x"), "Corruption is 'x'" },
        { Options(o => o["Method"] = "magic"), "Method is 'magic'" },
        { Options(o => o["Filter"] = "all"), "Filter is 'all'" },
        { Options(o => o["ChunkSize"] = 0), "ChunkSize is '0'" },
        { Options(o => o["Sweep"] = "head-zz"), "Sweep: " },
    };

    private static string Options(Action<System.Text.Json.Nodes.JsonObject> change)
    {
        var o = System.Text.Json.Nodes.JsonNode.Parse(OutputSafetyTests.ValidOptions(CliFixture.Model))!.AsObject();
        change(o);
        return o.ToJsonString();
    }

    [Theory, MemberData(nameof(Malformed))]
    public void MalformedOptionsFailBeforeAnyStage(string json, string fragment)
    {
        string run = Path.Combine(_dir, "run");
        Directory.CreateDirectory(run);
        string path = Path.Combine(run, "options.json");
        File.WriteAllText(path, json);
        var result = CliRunner.Run("ioi", "--resume", run);
        CliRunner.AssertUserError(result, path, fragment);
        Assert.DoesNotContain("[1/4]", result.Stderr);
        Assert.Equal(["options.json"], Directory.EnumerateFiles(run).Select(Path.GetFileName).Where(n => n != ".lock"));
    }

    [Fact]
    public void ValidSavedOptionsRun()
    {
        string run = Path.Combine(_dir, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "options.json"), OutputSafetyTests.ValidOptions(CliFixture.Model));
        CliRunner.Ok("ioi", "--resume", run);
        Assert.True(File.Exists(Path.Combine(run, "report.html")));
    }

    [Fact]
    public void ARelativeModelDirectoryIsSavedAbsolute()
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, CliFixture.Model);
        Assert.False(Path.IsPathRooted(relative));
        var result = CliRunner.Run("ioi", "--model", relative, "--n", "12", "--filter", "none", "--sweep", "head-z", "--runs-dir", _dir);
        Assert.True(result.Exit == 0, result.ToString());
        string run = Assert.Single(Directory.GetDirectories(_dir));
        string saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "options.json"))).RootElement.GetProperty("Model").GetString()!;
        Assert.True(Path.IsPathRooted(saved), saved);
        Assert.Equal(Path.GetFullPath(CliFixture.Model).TrimEnd('/'), saved.TrimEnd('/'));
    }

    [Fact]
    public void AHubIdIsSavedAsGiven()
    {
        // a hub id served from a local hub cache (offline) stays a hub id in options.json, not a path
        string cache = Path.Combine(_dir, "hub"), commit = new string('a', 40);
        string snapshot = Path.Combine(cache, "models--no-such-owner--no-such-model", "snapshots", commit);
        Directory.CreateDirectory(snapshot);
        foreach (var file in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(CliFixture.Model, file), Path.Combine(snapshot, file));
        Directory.CreateDirectory(Path.Combine(cache, "models--no-such-owner--no-such-model", "refs"));
        File.WriteAllText(Path.Combine(cache, "models--no-such-owner--no-such-model", "refs", "main"), commit);
        string runs = Path.Combine(_dir, "runs");
        string? saved = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", cache);
        try
        {
            var result = CliRunner.Run("ioi", "--model", "no-such-owner/no-such-model", "--offline", "--n", "4", "--filter", "none", "--sweep", "head-z",
                "--no-circuit", "--runs-dir", runs);
            Assert.Equal(0, result.Exit);
        }
        finally { Environment.SetEnvironmentVariable("HF_HUB_CACHE", saved); }
        string run = Assert.Single(Directory.GetDirectories(runs));
        Assert.Equal("no-such-owner/no-such-model", JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "options.json"))).RootElement.GetProperty("Model").GetString());
    }
}
