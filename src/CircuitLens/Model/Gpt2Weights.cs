// All parameters of a GPT-2 model in ONE contiguous float buffer, described by named views
// (the llm.c layout). Loading from files lives in CheckpointLoader; the math in Gpt2Forward.
// Linear weights are stored in the Conv1D layout Hugging Face uses: W is (in, out), y = x·W + b.
namespace CircuitLens.Model;

/// <summary>A named slice of the parameter buffer.</summary>
public readonly record struct ParamView(string Name, int Offset, int[] Shape)
{
    public int Length => (int)Tensors.Tensor.ElementCount(Shape);
}

public sealed class LayerWeights
{
    public required ParamView Ln1Weight { get; init; }
    public required ParamView Ln1Bias { get; init; }
    public required ParamView QkvWeight { get; init; }   // (C, 3C): q | k | v column blocks
    public required ParamView QkvBias { get; init; }     // (3C)
    public required ParamView AttnOutWeight { get; init; } // (C, C): rows h*Dh..(h+1)*Dh are head h's W_O
    public required ParamView AttnOutBias { get; init; }
    public required ParamView Ln2Weight { get; init; }
    public required ParamView Ln2Bias { get; init; }
    public required ParamView MlpInWeight { get; init; }  // (C, D_mlp)
    public required ParamView MlpInBias { get; init; }
    public required ParamView MlpOutWeight { get; init; } // (D_mlp, C)
    public required ParamView MlpOutBias { get; init; }
}

public sealed class Gpt2Weights
{
    public Gpt2Config Config { get; }
    public float[] Buffer { get; }
    public ParamView TokenEmbedding { get; }     // wte (V, C); also the tied unembedding
    public ParamView PositionEmbedding { get; }  // wpe (NCtx, C)
    public IReadOnlyList<LayerWeights> Layers { get; }
    public ParamView LnFinalWeight { get; }
    public ParamView LnFinalBias { get; }
    public IReadOnlyList<ParamView> All { get; }

    /// <summary>Lays out an all-zero parameter buffer for <paramref name="config"/>; fill it through <see cref="Span(ParamView)"/>.</summary>
    public Gpt2Weights(Gpt2Config config) : this(config, allocate: true) { }

    /// <summary>The named views a model of <paramref name="config"/> has, without allocating its buffer (for checking a checkpoint first).</summary>
    public static IReadOnlyList<ParamView> Layout(Gpt2Config config) => new Gpt2Weights(config, allocate: false).All;

    private Gpt2Weights(Gpt2Config config, bool allocate)
    {
        Config = config;
        int c = config.DModel, m = config.DMlp;
        var all = new List<ParamView>();
        long offset = 0;
        ParamView Add(string name, params int[] shape)
        {
            var view = new ParamView(name, checked((int)offset), shape);
            offset += Tensors.Tensor.ElementCount(shape);
            if (offset > Array.MaxLength) throw new CircuitLensException($"model too large for one parameter buffer ({offset} floats)");
            all.Add(view);
            return view;
        }
        TokenEmbedding = Add("wte.weight", config.VocabSize, c);
        PositionEmbedding = Add("wpe.weight", config.NCtx, c);
        var layers = new List<LayerWeights>();
        for (int l = 0; l < config.NLayers; l++)
        {
            string p = $"h.{l}.";
            layers.Add(new LayerWeights
            {
                Ln1Weight = Add(p + "ln_1.weight", c), Ln1Bias = Add(p + "ln_1.bias", c),
                QkvWeight = Add(p + "attn.c_attn.weight", c, 3 * c), QkvBias = Add(p + "attn.c_attn.bias", 3 * c),
                AttnOutWeight = Add(p + "attn.c_proj.weight", c, c), AttnOutBias = Add(p + "attn.c_proj.bias", c),
                Ln2Weight = Add(p + "ln_2.weight", c), Ln2Bias = Add(p + "ln_2.bias", c),
                MlpInWeight = Add(p + "mlp.c_fc.weight", c, m), MlpInBias = Add(p + "mlp.c_fc.bias", m),
                MlpOutWeight = Add(p + "mlp.c_proj.weight", m, c), MlpOutBias = Add(p + "mlp.c_proj.bias", c),
            });
        }
        Layers = layers;
        LnFinalWeight = Add("ln_f.weight", c);
        LnFinalBias = Add("ln_f.bias", c);
        All = all;
        Buffer = allocate ? new float[offset] : [];
    }

    public Span<float> Span(ParamView view) => Buffer.AsSpan(view.Offset, view.Length);

    // Linear weights re-laid out for the GEMM kernel, built on first use (keyed by buffer offset).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Offset, bool Transposed), Lazy<Tensors.PackedMatrix>> _packed = new();

    /// <summary>The (K,N) weight packed for x·W products; built once on first use.</summary>
    internal Tensors.PackedMatrix Packed(ParamView view) =>
        _packed.GetOrAdd((view.Offset, false), _ => new Lazy<Tensors.PackedMatrix>(() => Tensors.Gemm.Pack(Read(view), view.Shape[0], view.Shape[1]))).Value;

    /// <summary>The (N,K) matrix packed for x·Wᵀ products (the tied unembedding); built once on first use.</summary>
    internal Tensors.PackedMatrix PackedTransposed(ParamView view) =>
        _packed.GetOrAdd((view.Offset, true), _ => new Lazy<Tensors.PackedMatrix>(() => Tensors.Gemm.PackTransposed(Read(view), view.Shape[1], view.Shape[0]))).Value;

    /// <summary>Call after editing parameters in place: drops the packed copies so they are rebuilt from the buffer.</summary>
    public void InvalidatePacked() => _packed.Clear();
    public ReadOnlySpan<float> Read(ParamView view) => new(Buffer, view.Offset, view.Length);

    public long ParameterCount => Buffer.LongLength;

    /// <summary>Random weights in the given shapes (GPT-2 init: N(0, 0.02), LayerNorm weight 1, bias 0) for benchmarks and tests.</summary>
    public static Gpt2Weights Random(Gpt2Config config, int seed = 0)
    {
        var w = new Gpt2Weights(config);
        var rng = new Random(seed);
        foreach (var view in w.All)
        {
            var span = w.Span(view);
            if (view.Name.Contains("ln_") && view.Name.EndsWith(".weight")) span.Fill(1f);
            else if (view.Name.EndsWith(".bias")) for (int i = 0; i < span.Length; i++) span[i] = (float)(rng.NextDouble() - 0.5) * 0.02f;
            else for (int i = 0; i < span.Length; i++) span[i] = (float)(NextGaussian(rng) * 0.02);
        }
        return w;
    }

    private static double NextGaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
