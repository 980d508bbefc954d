// Benchmark entry point. `dotnet run -c Release -- <mode>` runs a quick plain-text mode (no
// BenchmarkDotNet) when <mode> is one of the names below; anything else goes to BenchmarkDotNet's
// switcher (e.g. `-- --filter *Gemm*`). To add a mode: a static class with Run(string[] args)
// in its own file, plus one line in the switch.
//   peak    measured GEMM peak (1 and all threads) and a GFLOP/s table at the GPT-2 shapes
//   kernel  single-thread GEMM GFLOP/s in CPU time (stable on a busy machine), for kernel tuning
using BenchmarkDotNet.Running;
using CircuitLens.Bench;

return args.FirstOrDefault() switch
{
    "peak" => PeakMode.Run(args[1..]),
    "kernel" => KernelMode.Run(args[1..]),
    _ => RunBenchmarkDotNet(args),
};

static int RunBenchmarkDotNet(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(PeakMode).Assembly).Run(args);
    return 0;
}
