// --device end to end through the CLI on ILGPU's CPU accelerator: `devices` lists it, `cache` and
// `logits` on ilgpu-cpu match the float64 reference, `patch --method plain` on ilgpu-cpu matches the
// reference sweep, `patch --method exact` on ilgpu-cpu gives the cpu engine's files (attribution on a
// device: DeviceAttributionCommandTests), and `bench forward` / `bench patch` / `bench path-patch` report the device.
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class DeviceCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clidevice-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void DevicesListsTheCpuEnginesAndSaysWhyThereIsNoCuda()
    {
        var result = CliRunner.Ok("devices");
        var lines = result.StdoutLines;
        Assert.Equal("device\tname\tmemory_gib\tcompute_capability\tnote", lines[0]);
        Assert.StartsWith("cpu\t", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("ilgpu-cpu\t"));
        if (!lines.Any(l => l.StartsWith("cuda\t"))) Assert.Contains("cuda:", result.Stderr);
    }

    [Fact]
    public void CacheAndLogitsOnIlgpuCpuMatchTheReference()
    {
        string outDir = Path.Combine(_dir, "cache");
        var cache = CliRunner.Ok("cache", "--model", CliFixture.Model, "--prompt", CliFixture.Prompt0, "--no-bos", "--out", outDir, "--device", "ilgpu-cpu");
        Assert.Contains("device ilgpu-cpu:", cache.Stderr);
        foreach (var expected in Directory.GetFiles(TinyGpt2.Expected("cache_prompt0"), "*.npy"))
            TensorAssert.Close(NpyFile.Read(expected), NpyFile.Read(Path.Combine(outDir, Path.GetFileName(expected))), Path.GetFileName(expected));

        string save = Path.Combine(_dir, "logits.npy");
        var device = CliRunner.Ok("logits", "--model", CliFixture.Model, "--prompt", CliFixture.Prompt0, "--no-bos", "--device", "ilgpu-cpu", "--save", save);
        var expectedLogits = NpyFile.Read(TinyGpt2.Expected("logits_all_prompt0.npy"));
        TensorAssert.Close(expectedLogits, NpyFile.Read(save), "logits --device ilgpu-cpu --save");
        var cpu = CliRunner.Ok("logits", "--model", CliFixture.Model, "--prompt", CliFixture.Prompt0, "--no-bos");
        // the same top tokens in the same order (logits agree to the tolerance, so the ids and ranks match)
        Assert.Equal(cpu.StdoutLines.Select(l => string.Join('\t', l.Split('\t').Take(3))), device.StdoutLines.Select(l => string.Join('\t', l.Split('\t').Take(3))));
    }

    [Fact]
    public void PlainPatchingOnIlgpuCpuMatchesTheReference()
    {
        string pairs = CliFixture.WritePairs(_dir);
        string outDir = Path.Combine(_dir, "plain");
        CliRunner.Ok("patch", "--model", CliFixture.Model, "--pairs", pairs, "--sweep", "head-z", "--no-bos", "--method", "plain", "--device", "ilgpu-cpu", "--no-plots", "--out", outDir);
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", "head_z.npy")), NpyFile.Read(Path.Combine(outDir, "head-z.npy")), "head-z on ilgpu-cpu");

        var unknown = CliRunner.Run("logits", "--model", CliFixture.Model, "--prompt", "x", "--device", "tpu");
        Assert.NotEqual(0, unknown.Exit);
    }

    [Fact]
    public void ExactPatchingOnIlgpuCpuWritesTheCpuEnginesNumbers()
    {
        string pairs = CliFixture.WritePairs(_dir);
        string deviceDir = Path.Combine(_dir, "exact-device"), cpuDir = Path.Combine(_dir, "exact-cpu");
        string[] common = ["patch", "--model", CliFixture.Model, "--pairs", pairs, "--sweep", "head-z,attn-out,head-k-by-pos", "--no-bos", "--no-plots", "--layers", "1-2"];
        CliRunner.Ok([.. common, "--device", "ilgpu-cpu", "--out", deviceDir]);
        CliRunner.Ok([.. common, "--out", cpuDir]);
        foreach (string file in new[] { "head-z.npy", "attn-out.npy", "head-k-by-pos.npy", "clean_metric.npy", "corrupt_metric.npy" })
            TensorAssert.Close(NpyFile.Read(Path.Combine(cpuDir, file)), NpyFile.Read(Path.Combine(deviceDir, file)), $"{file} on ilgpu-cpu");
        var headZ = NpyFile.Read(TinyGpt2.Expected("patch", "head_z.npy"));
        var deviceHeadZ = NpyFile.Read(Path.Combine(deviceDir, "head-z.npy"));
        for (int b = 0; b < headZ.Dim(0); b++)
            for (int l = 1; l < 3; l++)
                TensorAssert.Close(headZ.Slice(b, l), deviceHeadZ.Slice(b, l - 1), $"head-z pair {b} layer {l} vs the reference");
    }

    [Fact]
    public void BenchPatchOnIlgpuCpuTimesTheFastExactEngineNextToTheCpu()
    {
        var result = CliRunner.Ok("bench", "patch", "--model", CliFixture.Model, "--pairs", "2", "--chunk-size", "1", "--baseline-components", "2", "--device", "ilgpu-cpu");
        Assert.Contains("ilgpu-cpu: CPUAccelerator", result.Stdout);
        Assert.Matches(@"cpu fast exact sweep, whole batch\s+\d+\.\d\d s = \d+ patched runs/s", result.Stdout);
        Assert.Matches(@"ilgpu-cpu fast exact sweep, whole batch\s+\d+\.\d\d s = \d+ patched runs/s \(chunks of 1 pairs\): \d+\.\d\d× the cpu engine", result.Stdout);
        Assert.Matches(@"ilgpu-cpu fast exact sweep, one pair at a time\s+\d+\.\d\d s for the first 2 pairs", result.Stdout);
        Assert.Matches(@"ilgpu-cpu plain sweep \(baseline\), whole batch\s+2 components × 2 pairs", result.Stdout);
        Assert.Matches(@"device memory of the fast exact engine \(peak\)\s+\d+\.\d MB", result.Stdout);
        Assert.Matches(@"ilgpu-cpu fast exact sweep's own copies\s+\d+\.\d MB up .*, \d+\.\d\d MB down \(final rows\)", result.Stdout);
        Assert.DoesNotMatch(@"device memory of the fast exact engine \(peak\)\s+0\.0 MB", result.Stdout);
        var noBaseline = CliRunner.Ok("bench", "patch", "--model", CliFixture.Model, "--pairs", "1", "--baseline-components", "0", "--device", "ilgpu-cpu");
        Assert.DoesNotContain("plain sweep", noBaseline.Stdout);
    }

    [Fact]
    public void BenchPathPatchOnIlgpuCpuTimesTheDeviceEngineAndEap()
    {
        var result = CliRunner.Ok("bench", "path-patch", "--model", CliFixture.Model, "--pairs", "2", "--baseline-senders", "1", "--device", "ilgpu-cpu");
        Assert.Contains("ilgpu-cpu: CPUAccelerator", result.Stdout);
        Assert.Matches(@"fast engine on ilgpu-cpu\s+\d+\.\d\d s \(\d+\.\d\d× the cpu\)", result.Stdout);
        Assert.Matches(@"plain engine on ilgpu-cpu \(baseline\)\s+1 senders in", result.Stdout);
        var eap = CliRunner.Ok("bench", "path-patch", "--model", CliFixture.Model, "--pairs", "2", "--baseline-senders", "0", "--eap", "--device", "ilgpu-cpu");
        Assert.Matches(@"EAP \(all edges\) on ilgpu-cpu\s+\d+\.\d s \(\d+ edges\)", eap.Stdout);
        Assert.Matches(@"EAP-IG, 5 steps on ilgpu-cpu\s+\d+\.\d s", eap.Stdout);
    }

    [Fact]
    public void BenchForwardOnIlgpuCpuReportsTheDeviceAndItsThroughput()
    {
        var result = CliRunner.Ok("bench", "forward", "--model", CliFixture.Model, "--batch", "2", "--seq", "8", "--repeats", "1", "--device", "ilgpu-cpu");
        Assert.Contains("ilgpu-cpu: CPUAccelerator", result.Stdout);
        Assert.Matches(@"achieved GFLOP/s\s+\d+\.\d", result.Stdout);
        Assert.Matches(@"device memory held \(weights \+ activations\)\s+0\.0\d\d GB", result.Stdout);
    }
}
