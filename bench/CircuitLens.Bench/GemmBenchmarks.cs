// BenchmarkDotNet benchmarks for the matrix product at GPT-2 small shapes: 1 vs 2 threads, packed
// vs unpacked weights. Run with `dotnet run -c Release --project bench/CircuitLens.Bench -- --filter *Gemm*`.
// For a quick table without BenchmarkDotNet use the `peak` mode instead.
using BenchmarkDotNet.Attributes;
using CircuitLens.Tensors;

namespace CircuitLens.Bench;

[MemoryDiagnoser]
public class GemmBenchmarks
{
    public static IEnumerable<string> AllShapes()
    {
        foreach (var (k, n, name) in GemmShapes.Layers)
            foreach (int m in GemmShapes.Rows)
                yield return $"{name} {m}x{k}x{n}";
    }

    [ParamsSource(nameof(AllShapes))]
    public string Shape { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    private int _m, _k, _n;
    private float[] _a = [], _b = [], _c = [];
    private PackedMatrix _packed = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dims = Shape.Split(' ')[1].Split('x').Select(int.Parse).ToArray();
        (_m, _k, _n) = (dims[0], dims[1], dims[2]);
        _a = GemmShapes.Random(_m * _k, 1);
        _b = GemmShapes.Random(_k * _n, 2);
        _c = new float[_m * _n];
        _packed = Gemm.Pack(_b, _k, _n);
        Gemm.MaxThreads = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => Gemm.MaxThreads = Environment.ProcessorCount;

    [Benchmark(Baseline = true)]
    public void Packed() => Gemm.MatMul(_c, _a, _packed, _m);

    [Benchmark]
    public void Unpacked() => Gemm.MatMul(_c, _a, _b, _m, _k, _n);
}

[MemoryDiagnoser]
public class UnembedBenchmarks
{
    [Params(1, 4, 16)]
    public int Rows { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    private float[] _a = [], _wte = [], _c = [];
    private PackedMatrix _packed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _wte = GemmShapes.Random(GemmShapes.Vocab * GemmShapes.Embed, 3);
        _packed = Gemm.PackTransposed(_wte, GemmShapes.Embed, GemmShapes.Vocab);
        _a = GemmShapes.Random(Rows * GemmShapes.Embed, 1);
        _c = new float[Rows * GemmShapes.Vocab];
        Gemm.MaxThreads = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => Gemm.MaxThreads = Environment.ProcessorCount;

    [Benchmark(Baseline = true)]
    public void Packed() => Gemm.MatMul(_c, _a, _packed, Rows);

    [Benchmark]
    public void TransB() => Gemm.MatMulTransB(_c, _a, _wte, Rows, GemmShapes.Embed, GemmShapes.Vocab);
}
