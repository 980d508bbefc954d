// Benchmark entry point. `dotnet run -c Release -- <mode>` runs a quick plain-text mode (no
// BenchmarkDotNet) when <mode> is one of the names below; anything else goes to BenchmarkDotNet's
// switcher (e.g. `-- --filter *Gemm*`). To add a mode: a static class with Run(string[] args)
// in its own file, plus one line in the switch.
using BenchmarkDotNet.Running;
using CircuitLens.Bench;

return args.FirstOrDefault() switch
{
    "peak" => PeakMode.Run(args[1..]),
    _ => RunBenchmarkDotNet(args),
};

static int RunBenchmarkDotNet(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(PeakMode).Assembly).Run(args);
    return 0;
}
