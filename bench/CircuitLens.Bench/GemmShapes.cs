// The matrix-product shapes a GPT-2 small forward pass issues, shared by the plain `peak` mode and
// the BenchmarkDotNet GEMM benchmarks. M is the number of token rows.
namespace CircuitLens.Bench;

public static class GemmShapes
{
    /// <summary>Token-row counts: patching variants (small) up to batched forwards.</summary>
    public static readonly int[] Rows = [16, 64, 256, 1024];

    /// <summary>(K, N, what): qkv projection, MLP up-projection, MLP down-projection.</summary>
    public static readonly (int K, int N, string Name)[] Layers = [(768, 2304, "qkv"), (768, 3072, "mlp-up"), (3072, 768, "mlp-down"), (768, 768, "attn-out")];

    public const int Vocab = 50257, Embed = 768;

    /// <summary>Rows for the unembedding (a·wteᵀ), usually only a few final positions.</summary>
    public static readonly int[] UnembedRows = [1, 4, 16];

    public static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = random.NextSingle() - 0.5f;
        return x;
    }
}
