// GELU activations. GPT-2 uses the tanh approximation ("gelu_new"):
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
using System.Numerics.Tensors;

namespace CircuitLens.Tensors.Kernels;

public static partial class Gelu
{
    private const float Sqrt2OverPi = 0.7978845608028654f;

    // inp and out are (N); scratch is (N); out may alias inp
    public static void TanhForward(Span<float> output, ReadOnlySpan<float> inp, Span<float> scratch)
    {
        var t = scratch.Slice(0, inp.Length);
        TensorPrimitives.Multiply(inp, inp, t);                 // x²
        TensorPrimitives.Multiply(t, 0.044715f, t);
        TensorPrimitives.Add(t, 1f, t);                         // 1 + 0.044715x²
        TensorPrimitives.Multiply(t, inp, t);                   // x + 0.044715x³
        TensorPrimitives.Multiply(t, Sqrt2OverPi, t);
        TensorPrimitives.Tanh(t, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Multiply(t, inp, t);
        TensorPrimitives.Multiply(t, 0.5f, output);
    }

    // exact form 0.5·x·(1 + erf(x/√2)), for configs that ask for "gelu"
    public static void ErfForward(Span<float> output, ReadOnlySpan<float> inp)
    {
        for (int i = 0; i < inp.Length; i++)
        {
            double x = inp[i];
            output[i] = (float)(0.5 * x * (1.0 + Erf(x / Math.Sqrt(2.0))));
        }
    }

    // Abramowitz–Stegun 7.1.26 is too coarse for 1e-4 agreement; use a series / continued fraction in double.
    private static double Erf(double x)
    {
        double ax = Math.Abs(x);
        double r;
        if (ax < 2.5)
        {
            // Taylor series: erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n!(2n+1))
            double sum = ax, term = ax, x2 = ax * ax;
            for (int n = 1; n < 60; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            r = 2.0 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // continued fraction for erfc
            double x2 = ax * ax, f = 0;
            for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
            r = 1.0 - Math.Exp(-x2) / Math.Sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }
}
