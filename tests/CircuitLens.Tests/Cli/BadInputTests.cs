// User mistakes through the CLI: each must end in exactly one "error: …" line naming what is wrong
// (file, line, row or tensor), exit code 1, and no stack trace — never a crash or a silent wrong number.
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clibad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Clean = "When John and Mary went to the shops, Mary gave the bag to";
    private const string Corrupt = "When John and Mary went to the shops, John gave the bag to";

    private static string Row(string clean = Clean, string corrupt = Corrupt, string answer = " John", string wrong = " Mary") =>
        System.Text.Json.JsonSerializer.Serialize(new { clean, corrupt, answer, wrong });

    private string PairsFile(params string[] lines)
    {
        string path = Path.Combine(_dir, "pairs.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + (lines.Length > 0 ? "\n" : ""));
        return path;
    }

    private string ModelCopy(string name)
    {
        string dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(TinyGpt2.ModelDir, "config.json"), Path.Combine(dir, "config.json"));
        return dir;
    }

    private CliResult Patch(string pairs, string sweep = "head-z", string? model = null) =>
        CliRunner.Run("patch", "--model", model ?? CliFixture.Model, "--pairs", pairs, "--sweep", sweep, "--out", Path.Combine(_dir, "out"), "--no-bos");

    public static TheoryData<string> ModelCommands => new() { "logits", "cache", "generate", "patch" };

    private CliResult RunWithModel(string command, string model) => command switch
    {
        "logits" => CliRunner.Run("logits", "--model", model, "--prompt", "Hello"),
        "cache" => CliRunner.Run("cache", "--model", model, "--prompt", "Hello", "--out", Path.Combine(_dir, "cache")),
        "generate" => CliRunner.Run("generate", "--model", model, "--prompt", "Hello"),
        _ => Patch(PairsFile(Row()), model: model),
    };

    [Theory, MemberData(nameof(ModelCommands))]
    public void NonexistentModelDirectory(string command)
    {
        CliRunner.AssertUserError(RunWithModel(command, "/nonexistent"), "/nonexistent", "does not exist");
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")) || Directory.Exists(Path.Combine(_dir, "cache")), "nothing is written");
    }

    [Fact]
    public void DirectoryWithoutSafetensors()
    {
        string dir = ModelCopy("config-only");
        CliRunner.AssertUserError(RunWithModel("logits", dir), dir, "model.safetensors");
    }

    [Fact]
    public void EmptyDirectory()
    {
        string dir = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(dir);
        CliRunner.AssertUserError(RunWithModel("logits", dir), dir, "model.safetensors");
    }

    [Theory, MemberData(nameof(ModelCommands))]
    public void TruncatedSafetensors(string command)
    {
        string dir = ModelCopy("truncated");
        byte[] bytes = File.ReadAllBytes(Path.Combine(TinyGpt2.ModelDir, "model.safetensors"));
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), bytes[..(bytes.Length / 2)]);
        CliRunner.AssertUserError(RunWithModel(command, dir), Path.Combine(dir, "model.safetensors"));
    }

    [Fact]
    public void SafetensorsCutInsideTheHeader()
    {
        string dir = ModelCopy("header-cut");
        byte[] bytes = File.ReadAllBytes(Path.Combine(TinyGpt2.ModelDir, "model.safetensors"));
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), bytes[..100]);
        CliRunner.AssertUserError(RunWithModel("logits", dir), "model.safetensors");
    }

    [Fact]
    public void TensorWithTheWrongShapeIsNamed()
    {
        string dir = ModelCopy("bad-shape");
        using (var source = SafetensorsFile.Open(Path.Combine(TinyGpt2.ModelDir, "model.safetensors")))
        {
            var tensors = source.Entries.Values
                .Where(e => SafetensorsDType.IsReadableAsFloat32(e.DType))
                .Select(e =>
                {
                    var t = source.ReadTensor(e.Name);
                    // same elements, rows and columns swapped: [192, 64] where [64, 192] belongs
                    return KeyValuePair.Create(e.Name, e.Name == "h.0.attn.c_attn.weight" ? t.Reshape(t.Dim(1), t.Dim(0)) : t);
                })
                .ToList();
            SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
        }
        string line = CliRunner.AssertUserError(RunWithModel("logits", dir), "h.0.attn.c_attn.weight", "[192, 64]", "[64, 192]");
        Assert.Contains("model.safetensors", line);
    }

    [Fact]
    public void UnknownHubIdOffline()
    {
        string cache = Path.Combine(_dir, "hub-cache");
        Directory.CreateDirectory(cache);
        string? saved = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", cache);
        try
        {
            var result = CliRunner.Run("logits", "--model", "no-such-owner/no-such-model", "--offline", "--prompt", "Hello");
            CliRunner.AssertUserError(result, "no-such-owner/no-such-model", "offline");
            Assert.Empty(Directory.GetFileSystemEntries(cache));
        }
        finally { Environment.SetEnvironmentVariable("HF_HUB_CACHE", saved); }
    }

    [Fact]
    public void MalformedJsonlLineNamesFileAndLine()
    {
        string pairs = PairsFile(Row(), "{\"clean\": \"When John", Row());
        CliRunner.AssertUserError(Patch(pairs), $"{pairs}:2", "malformed JSON");
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void MissingFieldNamesIt()
    {
        string pairs = PairsFile(Row(), """{"clean": "a", "corrupt": "b", "answer": " John"}""");
        CliRunner.AssertUserError(Patch(pairs), $"{pairs}:2", "\"wrong\"");
    }

    [Fact]
    public void AnswerThatIsNotASingleToken()
    {
        string pairs = PairsFile(Row(), Row(answer: " Johnathanxq"));
        CliRunner.AssertUserError(Patch(pairs), $"{pairs}:2", "answer", "must be 1");
    }

    [Fact]
    public void CleanAndCorruptOfDifferentTokenLengthNameTheRow()
    {
        string pairs = PairsFile(Row(), Row(), Row(corrupt: "When John and Mary went to the big shops, John gave the bag to"));
        CliRunner.AssertUserError(Patch(pairs), $"{pairs}:3", "clean has 14 tokens but corrupt has 15");
        Assert.False(File.Exists(Path.Combine(_dir, "out", "run.json")));
    }

    [Fact]
    public void EmptyPairsFile()
    {
        string pairs = PairsFile();
        CliRunner.AssertUserError(Patch(pairs), pairs, "no pairs");
    }

    [Fact]
    public void BlankLinesOnlyIsEmptyToo()
    {
        string pairs = PairsFile("", "  ", "");
        CliRunner.AssertUserError(Patch(pairs), pairs, "no pairs");
    }

    [Fact]
    public void MissingPairsFile()
    {
        string pairs = Path.Combine(_dir, "nope.jsonl");
        CliRunner.AssertUserError(Patch(pairs), pairs);
    }

    [Fact]
    public void UnknownSweepListsTheChoices()
    {
        CliRunner.AssertUserError(Patch(PairsFile(Row()), sweep: "head-z,bogus"), "unknown sweep 'bogus'", "head-z", "block-every");
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")), "the sweep is checked before any work");
    }

    [Fact]
    public void UnknownSweepInIoiFailsBeforeCreatingARun()
    {
        string runs = Path.Combine(_dir, "runs");
        CliRunner.AssertUserError(CliRunner.Run("ioi", "--model", CliFixture.Model, "--n", "4", "--runs-dir", runs, "--sweep", "bogus"), "unknown sweep 'bogus'");
        Assert.False(Directory.Exists(runs) && Directory.EnumerateFileSystemEntries(runs).Any());
    }

    [Fact]
    public void ZeroChunkSize()
    {
        CliRunner.AssertUserError(CliRunner.Run("patch", "--model", CliFixture.Model, "--pairs", PairsFile(Row()), "--sweep", "head-z",
            "--out", Path.Combine(_dir, "out"), "--chunk-size", "0"), "--chunk-size");
    }
}
