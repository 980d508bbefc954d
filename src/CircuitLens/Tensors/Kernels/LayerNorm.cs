// LayerNorm in two steps, matching TransformerLens' hook points: first the per-row scale
// sqrt(var + eps) (hook_scale) and the centred input, then centred/scale·w + b (hook_normalized).
// The split exists so a hook on the scale can change what the normalisation divides by.
using System.Numerics.Tensors;

namespace CircuitLens.Tensors.Kernels;

public static partial class LayerNorm
{
    // inp is (N,C), centered is (N,C), scale is (N)
    public static void ScaleForward(Span<float> centered, Span<float> scale, ReadOnlySpan<float> inp, int n, int c, float eps)
    {
        for (int i = 0; i < n; i++)
        {
            var x = inp.Slice(i * c, c);
            var xc = centered.Slice(i * c, c);
            float mean = TensorPrimitives.Sum(x) / c;
            TensorPrimitives.Subtract(x, mean, xc);
            float variance = TensorPrimitives.SumOfSquares(xc) / c;
            scale[i] = MathF.Sqrt(variance + eps);
        }
    }

    // centered is (N,C), scale is (N), weight and bias are (C), out is (N,C): out = centered/scale·weight + bias
    public static void NormalizeForward(Span<float> output, ReadOnlySpan<float> centered, ReadOnlySpan<float> scale, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int n, int c)
    {
        for (int i = 0; i < n; i++)
        {
            var o = output.Slice(i * c, c);
            TensorPrimitives.Multiply(centered.Slice(i * c, c), 1f / scale[i], o);
            TensorPrimitives.MultiplyAdd(o, weight, bias, o);
        }
    }
}
