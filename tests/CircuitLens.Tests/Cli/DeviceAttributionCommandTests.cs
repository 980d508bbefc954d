// `patch --method attribution --device ilgpu-cpu` end to end: the device run writes the cpu run's maps
// (within the tolerance) and records the device; `--method both` runs there too;
// `bench patch --device ilgpu-cpu` times attribution on the device and on the cpu; `circuit discover
// --device ilgpu-cpu` scores the cpu run's edges.
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class DeviceAttributionCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clidevattr-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AttributionOnIlgpuCpuWritesTheCpuMaps()
    {
        string pairs = CliFixture.WritePairs(_dir);
        string cpu = Path.Combine(_dir, "cpu"), device = Path.Combine(_dir, "device");
        string[] Args(string method) => ["patch", "--model", CliFixture.Model, "--pairs", pairs, "--sweep", "head-z,resid-pre,head-pattern-by-pos", "--no-bos", "--method", method, "--no-plots"];
        var args = Args("attribution");
        CliRunner.Ok([.. args, "--out", cpu]);
        var run = CliRunner.Ok([.. args, "--device", "ilgpu-cpu", "--out", device]);
        Assert.Contains("ilgpu-cpu", run.Stderr);
        foreach (var file in new[] { "head-z.npy", "resid-pre.npy", "head-pattern-by-pos.npy", "clean_metric.npy", "corrupt_metric.npy" })
            TensorAssert.Close(NpyFile.Read(Path.Combine(cpu, file)), NpyFile.Read(Path.Combine(device, file)), $"{file} on ilgpu-cpu");

        // --method both on the device: the fast exact engine and attribution, both there
        string both = Path.Combine(_dir, "both");
        CliRunner.Ok([.. Args("both"), "--device", "ilgpu-cpu", "--out", both]);
        TensorAssert.Close(NpyFile.Read(Path.Combine(cpu, "head-z.npy")), NpyFile.Read(Path.Combine(both, "attribution", "head-z.npy")), "both: attribution head-z on ilgpu-cpu");
        Assert.True(File.Exists(Path.Combine(both, "agreement.json")));
    }

    [Fact]
    public void BenchPatchOnIlgpuCpuTimesAttributionOnTheDeviceAndTheCpu()
    {
        var result = CliRunner.Ok("bench", "patch", "--model", CliFixture.Model, "--pairs", "2", "--baseline-components", "1", "--device", "ilgpu-cpu");
        Assert.Matches(@"ilgpu-cpu attribution \(8 sweeps\)\s+\d+\.\d\d s for 2 pairs", result.Stdout);
        Assert.Matches(@"cpu attribution \(8 sweeps\)\s+\d+\.\d\d s \(device speed-up \d+\.\d\d×\)", result.Stdout);
    }

    [Fact]
    public void CircuitDiscoverOnIlgpuCpuScoresTheCpuEdges()
    {
        string[] Args(string outDir) => ["circuit", "discover", "--model", CliFixture.Model, "--pairs", CircuitLens.Tests.Circuits.CircuitFixtures.File("pairs.jsonl"),
            "--no-bos", "--method", "eap-ig", "--steps", "2", "--out", outDir];
        string cpu = Path.Combine(_dir, "discover-cpu"), device = Path.Combine(_dir, "discover-device");
        CliRunner.Ok(Args(cpu));
        var run = CliRunner.Ok([.. Args(device), "--device", "ilgpu-cpu"]);
        Assert.Contains("device ilgpu-cpu:", run.Stderr);
        Dictionary<string, double> Edges(string dir) => File.ReadLines(Path.Combine(dir, "edges.csv")).Skip(1)
            .Select(l => l.Split(',')).ToDictionary(p => $"{p[0]}->{p[1]}", p => double.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture));
        var want = Edges(cpu);
        var got = Edges(device);
        Assert.Equal(want.Keys.Order(), got.Keys.Order());
        double scale = want.Values.Max(Math.Abs);
        foreach (var (edge, score) in want)
            Assert.True(Math.Abs(got[edge] - score) <= 1e-4 * scale + 1e-3 * Math.Abs(score), $"{edge}: {got[edge]} on ilgpu-cpu, {score} on cpu");
    }
}
