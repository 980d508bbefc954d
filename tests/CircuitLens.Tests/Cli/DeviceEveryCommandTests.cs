// --device on every command that runs the model, end to end on the tiny fixture: `ioi` (circuit analysis
// included), `greater-than`, `acronyms`, `induction`, `filter model`, `heads detect`, `circuit check` and
// `circuit discover` write on ilgpu-cpu (the ILGPU kernels on ILGPU's CPU accelerator) the numbers they
// write on cpu, within 1e-4 + 1e-3·|x| (DeviceParity), and so does `merge` finishing an ioi run (its circuit
// analysis) from cpu shards; run.json records the device; a bad --device value is one error line. In the
// library, ExperimentOptions.Device moves the model before the first stage.
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Induction;
using CircuitLens.Tests.Circuits;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class DeviceEveryCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clidevices-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void IoiWithItsCircuitAnalysisWritesTheSameNumbersOnIlgpuCpu() =>
        DeviceParity.AssertSameOutputs(_dir, "ioi", runs => ["ioi", "--model", CliFixture.Model, "--filter", "none", "--n", "4", "--sweep", "head-z,block-every",
            "--method", "both", "--runs-dir", runs]);

    [Theory]
    [InlineData("greater-than", "6", "3")]
    [InlineData("acronyms", "2", "0")]
    [InlineData("induction", "3", "0")]
    public void TaskExperimentsWriteTheSameNumbersOnIlgpuCpu(string task, string n, string seed) =>
        DeviceParity.AssertSameOutputs(_dir, task, runs => [task, "--model", CliFixture.Model, "--filter", "none", "--n", n, "--seed", seed, "--runs-dir", runs]);

    [Fact]
    public void FilterModelKeepsTheSamePairsOnIlgpuCpu()
    {
        string pairs = CliFixture.WritePairs(_dir);
        DeviceParity.AssertSameOutputs(_dir, "filter", dir => ["filter", "model", "--model", CliFixture.Model, "--in", pairs, "--out", Path.Combine(dir, "kept.jsonl"),
            "--no-bos", "--mode", "sign"]);
    }

    [Fact]
    public void HeadDetectorsGiveTheSameScoresOnIlgpuCpu()
    {
        string pairs = CliFixture.WritePairs(_dir);
        DeviceParity.AssertSameOutputs(_dir, "heads", dir => ["heads", "detect", "--model", CliFixture.Model, "--n", "3", "--length", "6", "--pairs", pairs,
            "--no-plots", "--out", dir]);
    }

    [Fact]
    public void CircuitCheckAndDiscoverGiveTheSameNumbersOnIlgpuCpu()
    {
        string pairs = CliFixture.WritePairs(_dir);
        DeviceParity.AssertSameOutputs(_dir, "check", dir => ["circuit", "check", "--model", CliFixture.Model, "--pairs", pairs, "--circuit", CircuitFixtures.File("circuit.json"),
            "--reference", CircuitFixtures.File("reference.jsonl"), "--no-bos", "--greedy-steps", "1", "--random-subsets", "1", "--out", dir]);
        DeviceParity.AssertSameOutputs(_dir, "discover", dir => ["circuit", "discover", "--model", CliFixture.Model, "--pairs", pairs, "--method", "eap-ig", "--steps", "2",
            "--no-bos", "--out", dir]);
    }

    [Fact]
    public void MergeFinishesAnIoiRunOnIlgpuCpuWithTheCpuNumbers()
    {
        string[] shards = [Path.Combine(_dir, "s0"), Path.Combine(_dir, "s1")];
        for (int i = 0; i < 2; i++)
            CliRunner.Ok("ioi", "--model", CliFixture.Model, "--filter", "none", "--n", "4", "--sweep", "head-z", "--chunk-size", "2", "--shard", $"{i}/2", "--out", shards[i]);
        DeviceParity.AssertSameOutputs(_dir, "merge", merged => ["merge", merged, .. shards]);
    }

    [Fact]
    public void AnExperimentMovesTheModelToItsOptionsDevice()
    {
        var model = HookedTransformer.FromDirectory(TinyGpt2.ModelDir);
        ExperimentOptions Options(string name, DeviceKind device) => new() { N = 2, Filter = null, OutDir = Path.Combine(_dir, name), Device = device };
        try
        {
            var onDevice = InductionExperiment.Run(model, Options("device", DeviceKind.IlgpuCpu), length: 6);
            Assert.Equal(DeviceKind.IlgpuCpu, model.Device);
            Assert.StartsWith("ilgpu-cpu:", JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "device", "run.json")))!["device"]!.GetValue<string>());
            var onCpu = InductionExperiment.Run(model, Options("cpu", DeviceKind.Cpu), length: 6);
            Assert.Equal(DeviceKind.Cpu, model.Device);
            Assert.StartsWith("cpu:", JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "cpu", "run.json")))!["device"]!.GetValue<string>());
            TensorAssert.Close(onCpu.HeadZ, onDevice.HeadZ, "induction head-z on ilgpu-cpu");
            Assert.Equal(onCpu.MeanCleanLogitDiff, onDevice.MeanCleanLogitDiff, 3);
        }
        finally { model.To(DeviceKind.Cpu); }
    }

    [Theory]
    [InlineData("ioi --runs-dir RUNS")]
    [InlineData("induction --runs-dir RUNS")]
    [InlineData("filter model --in pairs.jsonl --out RUNS/kept.jsonl")]
    [InlineData("heads detect --out RUNS")]
    [InlineData("circuit check --pairs pairs.jsonl --circuit ioi-paper --out RUNS")]
    [InlineData("merge RUNS shard-1")]
    public void ABadDeviceIsOneErrorLine(string command)
    {
        string runs = Path.Combine(_dir, "runs");
        var result = CliRunner.Run([.. command.Split(' ').Select(a => a.Replace("RUNS", runs)), "--model", CliFixture.Model, "--device", "tpu"]);
        CliRunner.AssertUserError(result, "'tpu'", "'cpu' 'cuda' 'ilgpu-cpu'");
        Assert.False(Directory.Exists(runs));
    }
}
