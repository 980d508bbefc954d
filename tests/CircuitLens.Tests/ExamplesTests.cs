// The C# scripts in examples/ (.NET 10 file-based programs) run on the tiny fixture with `dotnet run`,
// and what they print matches the same computation done here in-process. Each first run compiles the
// script (about 10–30 s); later runs reuse the build.
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests;

public sealed class ExamplesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-examples-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string ExamplesDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "examples", "ioi-heatmap.cs")) && File.Exists(Path.Combine(dir.FullName, "CircuitLens.slnx")))
                return Path.Combine(dir.FullName, "examples");
        throw new DirectoryNotFoundException($"no examples/ folder above {AppContext.BaseDirectory}");
    }

    private static string RunScript(string script, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = ExamplesDir() };
        foreach (var a in (string[])["run", Path.Combine(ExamplesDir(), script), "--", .. args]) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(4)), $"{script} did not finish in 4 minutes");
        Assert.True(process.ExitCode == 0, $"{script} exited {process.ExitCode}\n{stdout}\n{stderr.Result}");
        return stdout;
    }

    private static double Number(string text, string pattern) =>
        double.Parse(Regex.Match(text, pattern).Groups[1].Value, CultureInfo.InvariantCulture);

    [Fact]
    public void AblateHeadPrintsTheLogitDifferenceWithAndWithoutTheHead()
    {
        string output = RunScript("ablate-head.cs", TinyGpt2.ModelDir, "1.2");
        var model = TinyGpt2.Model;
        var tokens = TokenBatch.Single(model.ToTokens("When John and Mary went to the shops, John gave the bag to"));
        int mary = model.Tokenizer.TokenId(" Mary"), john = model.Tokenizer.TokenId(" John");
        var hook = new NamedHook("blocks.1.attn.hook_z", (z, _) => { for (int t = 0; t < z.Dim(1); t++) z.Slice(0, t, 2).Clear(); });
        var clean = model.Forward(tokens, LogitsMode.LastPosition).Slice(0, 0);
        var ablated = model.RunWithHooks(tokens, [hook], new ForwardOptions { Logits = LogitsMode.LastPosition }).Logits!.Slice(0, 0);
        Assert.Equal(clean[mary] - clean[john], Number(output, @"(-?\d+\.\d+) clean"), 1e-3);
        Assert.Equal(ablated[mary] - ablated[john], Number(output, @"(-?\d+\.\d+) with head 1\.2"), 1e-3);
    }

    [Fact]
    public void IoiHeatmapPrintsTheHeadMapAndWritesAPng()
    {
        string output = RunScript("ioi-heatmap.cs", TinyGpt2.ModelDir, _dir);
        var model = TinyGpt2.Model;
        var pairs = new PatchingBatch([model.ToTokens("When John and Mary went to the shops, Mary gave the bag to")],
            [model.ToTokens("When John and Mary went to the shops, John gave the bag to")], [model.Tokenizer.TokenId(" John")], [model.Tokenizer.TokenId(" Mary")]);
        var map = FastActivationPatching.Run(model, pairs, Sweep.HeadZ).NormalizedMean();
        for (int l = 0; l < 3; l++)
        {
            var printed = Regex.Match(output, $@"(?m)^\s*{l}:(.*)$").Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(4, printed.Length);
            for (int h = 0; h < 4; h++) Assert.Equal(map[l, h], printed[h], 0.006);
        }
        byte[] png = File.ReadAllBytes(Path.Combine(_dir, "ioi-heatmap.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    [Fact]
    public void InductionTaskRanksHeadsWithTheUnchangedEngines()
    {
        string output = RunScript("induction-task.cs", TinyGpt2.ModelDir, "4");
        Assert.Contains("4 rows", output);
        Assert.True(double.IsFinite(Number(output, @"clean (-?\d+\.\d+)")));
        var heads = Regex.Matches(output, @"(?m)^\s+(\d+)\.(\d+): (-?\d+\.\d+)$");
        Assert.Equal(5, heads.Count);
        var scores = heads.Select(m => double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.OrderByDescending(s => s), scores);
    }
}
