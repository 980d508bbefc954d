// The floating-point work of one forward pass, counted once so that every benchmark (the CLI's
// `bench forward`, the PyTorch comparison in bench/CircuitLens.Bench.Torch) reports GFLOP/s on the
// same count. It is a count of the necessary multiply-adds, not a measurement.
namespace CircuitLens.Model;

public static class ForwardCost
{
    /// <summary>
    /// FLOPs of one forward of <paramref name="batch"/> × <paramref name="seq"/> tokens with last-position logits:
    /// 24·C² per token per layer (qkv, out, the two MLP products; C = d_model, d_mlp = 4C), attention 4·T·C per
    /// token per layer, and the unembedding 2·C·V per row.
    /// </summary>
    public static double Flops(Gpt2Config c, int batch, int seq) =>
        (double)batch * seq * c.NLayers * (2.0 * c.DModel * (3 * c.DModel + c.DModel + 2 * c.DMlp) + 4.0 * seq * c.DModel) + 2.0 * batch * c.DModel * c.VocabSize;
}
