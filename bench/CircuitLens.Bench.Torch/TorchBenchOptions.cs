// The command line of the PyTorch comparison: `--name value` options, each checked; a mistake is one
// CircuitLensException naming the option (printed as one `error: …` line, exit 1).
using System.Globalization;

namespace CircuitLens.Bench.Torch;

public sealed record TorchBenchOptions
{
    public string? Model { get; init; }
    public int Pairs { get; init; } = 8;
    public int Components { get; init; } = 12;
    public int SinglePairs { get; init; } = 4;
    public int Batch { get; init; } = 64;
    public int Seq { get; init; } = 128;
    public int Repeats { get; init; } = 2;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public string Device { get; init; } = "cpu";
    public string? Fixtures { get; init; }
    public bool AllPositionLogits { get; init; }
    public bool Probe { get; init; }
    public bool Help { get; init; }

    public const string Usage = """
        CircuitLens vs PyTorch (TorchSharp / LibTorch) on the same machine, device and threads.
        First checks the PyTorch GPT-2 against the float64 fixtures and against CircuitLens; prints timings only if all agree.

        options:
          --model M         model directory or hub id (default: random weights in GPT-2 small's shapes, seed 0)
          --pairs N         IOI pairs (template dataset, seed 0, BOS) for the head-z sweep (default 8)
          --components K    heads of the sweep timed on the hooked-forward engines, extrapolated to all (default 12)
          --single-pairs P  pairs timed one at a time on the hooked-forward engines (default 4)
          --batch B --seq T forward benchmark shape (default 64 × 128)
          --repeats R       timed forwards, best reported (default 2)
          --threads N       torch.set_num_threads and CircuitLens' GEMM threads (default: all cores)
          --device D        torch device: cpu (default) or cuda (needs a CUDA LibTorch package)
          --fixtures DIR    the shared/fixtures folder (default: found above the working or program directory)
          --all-logits      also time the PyTorch sweep with logits at every position (TransformerLens' default)
          --probe           print the LibTorch version and whether CUDA is available, then exit
        """;

    public static TorchBenchOptions Parse(string[] args)
    {
        var o = new TorchBenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length && args[i + 1].Length > 0 ? args[++i] : throw new CircuitLensException($"{name} needs a value");
            int Int(int min, int max)
            {
                string v = Value();
                return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
                    ? n : throw new CircuitLensException($"{name} must be an integer from {min} to {max}, found '{v}'");
            }
            o = name switch
            {
                "--model" => o with { Model = Value() },
                "--pairs" => o with { Pairs = Int(1, 10_000) },
                "--components" => o with { Components = Int(1, 100_000) },
                "--single-pairs" => o with { SinglePairs = Int(0, 10_000) },
                "--batch" => o with { Batch = Int(1, 4096) },
                "--seq" => o with { Seq = Int(1, 65_536) },
                "--repeats" => o with { Repeats = Int(1, 1000) },
                "--threads" => o with { Threads = Int(1, 4096) },
                "--device" => o with { Device = Value() is var d && d is "cpu" or "cuda" ? d : throw new CircuitLensException($"--device must be cpu or cuda, found '{args[i]}'") },
                "--fixtures" => o with { Fixtures = Value() },
                "--all-logits" => o with { AllPositionLogits = true },
                "--probe" => o with { Probe = true },
                "--help" or "-h" => o with { Help = true },
                _ => throw new CircuitLensException($"unknown option '{name}' (see --help)"),
            };
        }
        return o;
    }

    /// <summary>The shared/fixtures folder: --fixtures, else the first `shared/fixtures` above the working or program directory.</summary>
    public string FixturesDirectory()
    {
        if (Fixtures is not null)
            return Directory.Exists(Fixtures) ? Path.GetFullPath(Fixtures) : throw new CircuitLensException($"--fixtures {Fixtures}: no such directory");
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (Directory.Exists(Path.Combine(dir.FullName, "shared", "fixtures", "tiny-gpt2"))) return Path.Combine(dir.FullName, "shared", "fixtures");
        throw new CircuitLensException("no shared/fixtures folder found above the working directory; give --fixtures DIR");
    }
}
