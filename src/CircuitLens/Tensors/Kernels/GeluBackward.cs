// GELU backward: dinp = dout · gelu'(inp), for the tanh form GPT-2 uses and the exact erf form.
// Element-wise only; the caller decides how to split the work into blocks or threads.
using System.Numerics.Tensors;

namespace CircuitLens.Tensors.Kernels;

public static partial class Gelu
{
    private const float Cubic = 0.044715f;

    // inp, dout, dinp are (N); scratch is (2N); dinp must not alias dout or inp.
    // d/dx 0.5x(1+tanh u) = 0.5(1+tanh u) + 0.5x·sech²u·√(2/π)(1+3·0.044715x²), u = √(2/π)(x+0.044715x³)
    public static void TanhBackward(Span<float> dinp, ReadOnlySpan<float> dout, ReadOnlySpan<float> inp, Span<float> scratch)
    {
        int n = inp.Length;
        var th = scratch.Slice(0, n);
        var du = scratch.Slice(n, n);
        TensorPrimitives.Multiply(inp, inp, th);                                   // x²
        TensorPrimitives.Multiply(th, 3f * Cubic * Sqrt2OverPi, du);
        TensorPrimitives.Add(du, Sqrt2OverPi, du);                                 // du/dx
        TensorPrimitives.Multiply(th, Cubic, th);
        TensorPrimitives.Add(th, 1f, th);
        TensorPrimitives.Multiply(th, inp, th);
        TensorPrimitives.Multiply(th, Sqrt2OverPi, th);
        TensorPrimitives.Tanh(th, th);                                             // tanh u
        TensorPrimitives.Multiply(du, inp, du);
        TensorPrimitives.Multiply(du, 0.5f, du);                                   // 0.5x·du/dx
        TensorPrimitives.Multiply(th, th, dinp);
        TensorPrimitives.Subtract(1f, dinp, dinp);                                 // sech²u
        TensorPrimitives.Multiply(dinp, du, dinp);
        TensorPrimitives.Add(th, 1f, th);
        TensorPrimitives.MultiplyAdd(th, 0.5f, dinp, dinp);                        // + 0.5(1+tanh u)
        TensorPrimitives.Multiply(dinp, dout, dinp);
    }

    // inp, dout, dinp are (N): d/dx 0.5x(1+erf(x/√2)) = Φ(x) + x·φ(x)
    public static void ErfBackward(Span<float> dinp, ReadOnlySpan<float> dout, ReadOnlySpan<float> inp)
    {
        double invSqrt2Pi = 1.0 / Math.Sqrt(2 * Math.PI);
        for (int i = 0; i < inp.Length; i++)
        {
            double x = inp[i];
            double cdf = 0.5 * (1.0 + Erf(x / Math.Sqrt(2.0)));
            double pdf = Math.Exp(-0.5 * x * x) * invSqrt2Pi;
            dinp[i] = (float)(dout[i] * (cdf + x * pdf));
        }
    }
}
