// LayerNorm backward (llm.c's layernorm_backward), for activation gradients only: no weight or
// bias gradients. It recomputes mean and scale from the input instead of caching them, and also
// returns the gradient with respect to the scale, the hook_scale activation.
using System.Buffers;
using System.Numerics.Tensors;

namespace CircuitLens.Tensors.Kernels;

public static partial class LayerNorm
{
    // inp, dout, dinp are (N,C); weight is (C); dscale is (N) or empty.
    // dinp += ∂L/∂inp (through centring and scale); dscale = ∂L/∂scale with the centred input held fixed.
    public static void Backward(Span<float> dinp, Span<float> dscale, ReadOnlySpan<float> dout, ReadOnlySpan<float> inp, ReadOnlySpan<float> weight, int n, int c, float eps)
    {
        var rented = ArrayPool<float>.Shared.Rent(2 * c);
        var xhat = rented.AsSpan(0, c);
        var dxhat = rented.AsSpan(c, c);
        try
        {
            for (int i = 0; i < n; i++)
            {
                var dy = dout.Slice(i * c, c);
                var x = inp.Slice(i * c, c);
                float mean = TensorPrimitives.Sum(x) / c;
                TensorPrimitives.Subtract(x, mean, xhat);
                float scale = MathF.Sqrt(TensorPrimitives.SumOfSquares(xhat) / c + eps);
                float invScale = 1f / scale;
                TensorPrimitives.Multiply(xhat, invScale, xhat);

                TensorPrimitives.Multiply(dy, weight, dxhat);
                float meanD = TensorPrimitives.Sum(dxhat) / c;
                float meanDx = TensorPrimitives.Dot(dxhat, xhat) / c;
                if (!dscale.IsEmpty) dscale[i] = -meanDx * c * invScale;

                // dx = (dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)) / scale
                TensorPrimitives.Subtract(dxhat, meanD, dxhat);
                TensorPrimitives.MultiplyAdd(xhat, -meanDx, dxhat, dxhat);
                var dx = dinp.Slice(i * c, c);
                TensorPrimitives.MultiplyAdd(dxhat, invScale, dx, dx);
            }
        }
        finally { ArrayPool<float>.Shared.Return(rented); }
    }
}
