// GELU activations. GPT-2 uses the tanh approximation ("gelu_new"):
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
using System.Numerics.Tensors;

namespace CircuitLens.Tensors.Kernels;

public static partial class Gelu
{
    private const float Sqrt2OverPi = 0.7978845608028654f;

    // inp and out are (N); out may alias inp. Works in L1-sized blocks so the eight element-wise
    // passes stay in cache instead of streaming the whole (B·T·D_mlp) buffer eight times; large inputs
    // are split across the GEMM threads.
    public static unsafe void TanhForward(Span<float> output, ReadOnlySpan<float> inp)
    {
        const int Block = 2048;
        int blocks = (inp.Length + Block - 1) / Block;
        if (Gemm.MaxThreads <= 1 || inp.Length < 1 << 17)
        {
            TanhBlocks(output, inp, 0, blocks, Block);
            return;
        }
        fixed (float* po = output) fixed (float* pi = inp)
        {
            float* o = po, x = pi;
            int n = inp.Length, threads = Gemm.MaxThreads, per = (blocks + threads - 1) / threads;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                TanhBlocks(new Span<float>(o, n), new ReadOnlySpan<float>(x, n), t * per, Math.Min(blocks, (t + 1) * per), Block));
        }
    }

    private static void TanhBlocks(Span<float> output, ReadOnlySpan<float> inp, int firstBlock, int endBlock, int blockSize)
    {
        Span<float> t = stackalloc float[blockSize];
        for (int blk = firstBlock; blk < endBlock; blk++)
        {
            int start = blk * blockSize, n = Math.Min(blockSize, inp.Length - start);
            var x = inp.Slice(start, n);
            var tb = t.Slice(0, n);
            TensorPrimitives.Multiply(x, x, tb);                 // x²
            TensorPrimitives.Multiply(tb, 0.044715f, tb);
            TensorPrimitives.Add(tb, 1f, tb);                    // 1 + 0.044715x²
            TensorPrimitives.Multiply(tb, x, tb);                // x + 0.044715x³
            TensorPrimitives.Multiply(tb, Sqrt2OverPi, tb);
            TensorPrimitives.Tanh(tb, tb);
            TensorPrimitives.Add(tb, 1f, tb);
            TensorPrimitives.Multiply(tb, x, tb);
            TensorPrimitives.Multiply(tb, 0.5f, output.Slice(start, n));
        }
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
