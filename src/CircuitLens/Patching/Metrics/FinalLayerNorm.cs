// ln_f on a few final-residual rows, forward and backward: what every metric does before it reads
// vocabulary rows (the metrics score the residual stream before ln_f, so engines that stop at the
// last block's output and the attribution backward share one entry point).
using CircuitLens.Model;
using CircuitLens.Tensors.Kernels;

namespace CircuitLens.Patching.Metrics;

internal static class FinalLayerNorm
{
    // rows is (N,C), normalized is (N,C): normalized = ln_f(rows)
    public static void Forward(Gpt2Weights w, ReadOnlySpan<float> rows, Span<float> normalized, int n)
    {
        int C = w.Config.DModel;
        var centered = new float[n * C]; var scale = new float[n];
        LayerNorm.ScaleForward(centered, scale, rows.Slice(0, n * C), n, C, w.Config.LayerNormEps);
        LayerNorm.NormalizeForward(normalized, centered, scale, w.Read(w.LnFinalWeight), w.Read(w.LnFinalBias), n, C);
    }

    // rows, dNormalized, dRows are (N,C): dRows = ∂/∂rows of Σ dNormalized·ln_f(rows) (overwritten, not accumulated)
    public static void Backward(Gpt2Weights w, ReadOnlySpan<float> rows, ReadOnlySpan<float> dNormalized, Span<float> dRows, int n)
    {
        int C = w.Config.DModel;
        dRows.Slice(0, n * C).Clear();
        LayerNorm.Backward(dRows, Span<float>.Empty, dNormalized, rows, w.Read(w.LnFinalWeight), n, C, w.Config.LayerNormEps);
    }
}
