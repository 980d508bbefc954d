// BenchmarkDotNet benchmarks of whole-model work at GPT-2 small shapes (random weights): one forward
// of 16×32 tokens, the fast exact head-z sweep and attribution patching on 10 IOI pairs, 1 vs 2 threads.
// Run with `dotnet run -c Release --project bench/CircuitLens.Bench -- --filter *ModelBenchmarks*`.
// The end-to-end command with the plain-sweep baseline is `circuitlens bench patch`.
using BenchmarkDotNet.Attributes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tensors;

namespace CircuitLens.Bench;

[MemoryDiagnoser]
public class ModelBenchmarks
{
    [Params(1, 2)]
    public int Threads { get; set; }

    private HookedTransformer _model = null!;
    private TokenBatch _tokens = null!;
    private PatchingBatch _pairs = null!;

    [GlobalSetup]
    public void Setup()
    {
        Gemm.MaxThreads = Threads;
        _model = new HookedTransformer(Gpt2Weights.Random(Gpt2Config.Gpt2Small));
        var rng = new Random(1);
        _tokens = TokenBatch.FromSequences(Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, 32).Select(_ => rng.Next(50257)).ToArray()).ToList());
        var rows = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 10, Seed = 0 }).Pairs;
        _pairs = new IoiTokenizedPairs(_model, rows, prependBos: true).ToPatchingBatch();
        _model.Forward(_tokens, LogitsMode.LastPosition);
    }

    [Benchmark]
    public Tensor Forward16x32() => _model.Forward(_tokens, LogitsMode.LastPosition);

    [Benchmark]
    public PatchingResult FastHeadZSweep10Pairs() => FastActivationPatching.Run(_model, _pairs, Sweep.HeadZ);

    [Benchmark]
    public IReadOnlyList<PatchingResult> Attribution10Pairs() => AttributionPatching.Run(_model, _pairs, [Sweep.HeadZ, Sweep.ResidPre]);
}
