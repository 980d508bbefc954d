// The experiments' --device check on a CUDA GPU: `ioi` (circuit analysis and attribution included) and the
// three task experiments write on cuda the numbers they write on cpu (DeviceParity); skipped with the
// reason where ILGPU sees no CUDA device. bench/gpu-check.sh runs them.
using CircuitLens.Tests.Devices;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class CudaEveryCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clicuda-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [CudaFact]
    public void IoiWritesTheSameNumbersOnCuda() =>
        DeviceParity.AssertSameOutputs(_dir, "ioi", runs => ["ioi", "--model", CliFixture.Model, "--filter", "none", "--n", "8", "--method", "both", "--runs-dir", runs], on: "cuda");

    [CudaFact]
    public void TaskExperimentsWriteTheSameNumbersOnCuda()
    {
        foreach (var (task, n, seed) in new[] { ("greater-than", "6", "3"), ("acronyms", "2", "0"), ("induction", "3", "0") })
            DeviceParity.AssertSameOutputs(_dir, task, runs => [task, "--model", CliFixture.Model, "--filter", "none", "--n", n, "--seed", seed, "--runs-dir", runs], on: "cuda");
    }
}
