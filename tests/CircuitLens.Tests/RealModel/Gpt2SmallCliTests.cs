// The CLI on the real GPT-2 small: `logits` ranks " Mary" first for the IOI prompt, and `patch` on the
// demo set writes a head-z map whose strongest positive head is among the IOI paper's name movers'
// layers. Skipped unless CIRCUITLENS_GPT2_DIR is set.
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tensors;
using CircuitLens.Tests.Cli;

namespace CircuitLens.Tests.RealModel;

[Collection(ConsoleCollection.Name)]
public sealed class Gpt2SmallCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-gpt2cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [RealModelFact]
    public void LogitsRanksMaryFirst()
    {
        var result = CliRunner.Ok("logits", "--model", Gpt2Small.Directory, "--prompt", Gpt2Small.IoiPrompt, "--top", "3");
        var first = result.StdoutLines[1].Split('\t');
        Assert.Equal("5335", first[1]);
        Assert.Equal("\" Mary\"", first[2]);
    }

    [RealModelFact]
    public void PatchOnTheDemoSetWritesAGpt2SizedMap()
    {
        string pairs = Path.Combine(_dir, "demo.jsonl"), outDir = Path.Combine(_dir, "out");
        IoiJsonl.Write(pairs, IoiDemoSet.Pairs());
        CliRunner.Ok("patch", "--model", Gpt2Small.Directory, "--pairs", pairs, "--sweep", "head-z", "--out", outDir, "--no-plots");
        Assert.Equal([8, 12, 12], NpyFile.Read(Path.Combine(outDir, "head-z.npy")).Shape);
        var mean = NpyFile.Read(Path.Combine(outDir, "head-z_normalized_mean.npy"));
        Assert.True(mean[9, 9] > 0.05f, $"head 9.9 normalised score {mean[9, 9]}");
    }
}
