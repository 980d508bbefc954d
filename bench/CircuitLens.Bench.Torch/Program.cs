// Entry point of the PyTorch comparison (bench/CircuitLens.Bench.Torch, not part of CircuitLens.slnx: it
// restores LibTorch). Parses the options, makes TorchSharp's binding loadable, runs TorchBench and prints its
// markdown to stdout; progress goes to stderr. Mistakes and failed checks: `error: …`, exit 1.
using CircuitLens;
using CircuitLens.Bench.Torch;

try
{
    var options = TorchBenchOptions.Parse(args);
    if (options.Help) { Console.WriteLine(TorchBenchOptions.Usage); return 0; }
    if (LibTorchSharpLoader.EnsureLoadable() is { } note) Console.Error.WriteLine($"note: {note}");
    if (options.Probe)
    {
        Console.WriteLine($"libtorch {TorchSharp.torch.__version__}");
        Console.WriteLine($"cuda available: {(TorchSharp.torch.cuda.is_available() ? $"yes ({TorchSharp.torch.cuda.device_count()} devices)" : "no")}");
        return 0;
    }
    Console.Write(TorchBench.Run(options, message => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}")));
    return 0;
}
catch (CircuitLensException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
