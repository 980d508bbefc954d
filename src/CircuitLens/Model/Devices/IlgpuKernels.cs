// The GPT-2 forward kernels for ILGPU: the same operations as Tensors/Kernels and Gemm, written once
// for every ILGPU accelerator (CUDA, and the CPU accelerator CI tests them on). One thread per output
// element or per row, except the GEMM, which is tiled through shared memory. B, T, C, NH, HS mean
// what they mean in Gpt2Forward. Deliberately not here: backward kernels, fused or half-precision paths.
using ILGPU;
using ILGPU.Algorithms;

namespace CircuitLens.Model.Devices;

internal static partial class IlgpuKernels
{
    // a is (M,K) with row stride lda; b is (K,N) with row stride ldb, or (N,K) when transB != 0;
    // c is (M,N) with row stride ldc: c = a·b (+ bias (N) when hasBias != 0). Each group computes one
    // Tile×Tile block of c with Tile×Tile threads, staging Tile-wide slabs of a and b in (dynamic)
    // shared memory, 2·Tile² floats. Grid (⌈N/Tile⌉, ⌈M/Tile⌉), group (Tile, Tile).
    public static void GemmTiled(ArrayView<float> c, ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, GemmShape s)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int tile = s.Tile, tt = tile * tile;
        int tx = Group.IdxX, ty = Group.IdxY;
        int col = Grid.IdxX * tile + tx, row = Grid.IdxY * tile + ty;
        float acc = 0f;
        for (int k0 = 0; k0 < s.K; k0 += tile)
        {
            int ka = k0 + tx, kb = k0 + ty;
            shared[ty * tile + tx] = row < s.M && ka < s.K ? a[(long)row * s.Lda + ka] : 0f;
            shared[tt + ty * tile + tx] = kb < s.K && col < s.N ? (s.TransB != 0 ? b[(long)col * s.Ldb + kb] : b[(long)kb * s.Ldb + col]) : 0f;
            Group.Barrier();
            for (int k = 0; k < tile; k++) acc += shared[ty * tile + k] * shared[tt + k * tile + tx];
            Group.Barrier();
        }
        if (row < s.M && col < s.N) c[(long)row * s.Ldc + col] = s.HasBias != 0 ? acc + bias[col] : acc;
    }

    // The same product with one thread per element of c and no shared memory: what ILGPU's CPU
    // accelerator runs, since it executes a group's threads as OS threads that meet at every barrier.
    public static void GemmRowCol(Index1D thread, Extent extent, ArrayView<float> c, ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, GemmShape s)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int row = i / s.N, col = i % s.N;
            long ao = (long)row * s.Lda;
            float acc = 0f;
            if (s.TransB != 0)
            {
                long bo = (long)col * s.Ldb;
                for (int k = 0; k < s.K; k++) acc += a[ao + k] * b[bo + k];
            }
            else for (int k = 0; k < s.K; k++) acc += a[ao + k] * b[(long)k * s.Ldb + col];
            c[(long)row * s.Ldc + col] = s.HasBias != 0 ? acc + bias[col] : acc;
        }
    }

    // out is (M,N) with row stride ldc: out[i,j] += bias[j] (after a cuBLAS product, which has no bias)
    public static void AddBiasRows(Index1D thread, Extent extent, ArrayView<float> c, ArrayView<float> bias, int n, int ldc)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int row = i / n, col = i % n;
            c[(long)row * ldc + col] += bias[col];
        }
    }

    // ids and posIds are (B,T) (id −1 marks a pad); wte is (V,C), wpe is (NCtx,C); embed, posEmbed are (B,T,C)
    public static void EmbedForward(Index1D thread, Extent extent, ArrayView<float> embed, ArrayView<float> posEmbed, ArrayView<int> ids, ArrayView<int> posIds,
        ArrayView<float> wte, ArrayView<float> wpe, int c)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int bt = i / c, ch = i % c, id = ids[bt];
            if (id < 0) { embed[i] = 0f; posEmbed[i] = 0f; continue; }
            embed[i] = wte[(long)id * c + ch];
            posEmbed[i] = wpe[(long)posIds[bt] * c + ch];
        }
    }

    // out, a, b are (N); out may alias a
    public static void AddForward(Index1D thread, Extent extent, ArrayView<float> output, ArrayView<float> a, ArrayView<float> b)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride) output[i] = a[i] + b[i];
    }

    // inp, centered are (N,C), scale is (N): centered = inp − mean, scale = sqrt(var + eps); one thread per row
    public static void LayerNormScaleForward(Index1D thread, Extent extent, ArrayView<float> centered, ArrayView<float> scale, ArrayView<float> inp, int c, float eps)
    {
        for (int row = thread; row < extent.Total; row += extent.Stride)
        {
            long o = (long)(int)row * c;
            float sum = 0f;
            for (int j = 0; j < c; j++) sum += inp[o + j];
            float mean = sum / c, sq = 0f;
            for (int j = 0; j < c; j++)
            {
                float d = inp[o + j] - mean;
                centered[o + j] = d;
                sq += d * d;
            }
            scale[row] = XMath.Sqrt(sq / c + eps);
        }
    }

    // centered, out are (N,C), scale is (N), weight, bias are (C): out = centered/scale·weight + bias
    public static void LayerNormNormalizeForward(Index1D thread, Extent extent, ArrayView<float> output, ArrayView<float> centered, ArrayView<float> scale,
        ArrayView<float> weight, ArrayView<float> bias, int c)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int ch = i % c;
            output[i] = centered[i] * (1f / scale[i / c]) * weight[ch] + bias[ch];
        }
    }

    // qkv is (N,3C) → q, k, v each (N,C) = (B,T,NH,HS)
    public static void SplitQkv(Index1D thread, Extent extent, ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> qkv, int c)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            long row = i / c; int ch = i % c;
            long o = row * 3 * c + ch;
            q[i] = qkv[o];
            k[i] = qkv[o + c];
            v[i] = qkv[o + 2 * c];
        }
    }

    // q, k are (B,T,NH,HS); scores is (B,NH,T,T); padLeft is (B). Causal and left-padding masks give −inf.
    public static void AttentionScoresForward(Index1D thread, Extent extent, ArrayView<float> scores, ArrayView<float> q, ArrayView<float> k, ArrayView<int> padLeft,
        int t, int nh, int hs)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int key = i % t, query = i / t % t, bh = i / (t * t), h = bh % nh, b = bh / nh;
            int p0 = padLeft[b];
            if (query < p0 || key < p0 || key > query) { scores[i] = float.NegativeInfinity; continue; }
            int c = nh * hs;
            long qo = ((long)b * t + query) * c + h * hs, ko = ((long)b * t + key) * c + h * hs;
            float dot = 0f;
            for (int d = 0; d < hs; d++) dot += q[qo + d] * k[ko + d];
            scores[i] = dot * (1f / XMath.Sqrt(hs));
        }
    }

    // scores, pattern are (rows,T): softmax over keys, one thread per row; fully masked rows become all zero
    public static void SoftmaxForward(Index1D thread, Extent extent, ArrayView<float> pattern, ArrayView<float> scores, int t)
    {
        for (int row = thread; row < extent.Total; row += extent.Stride)
        {
            long o = (long)(int)row * t;
            float max = float.NegativeInfinity;
            for (int j = 0; j < t; j++) max = XMath.Max(max, scores[o + j]);
            if (max == float.NegativeInfinity)
            {
                for (int j = 0; j < t; j++) pattern[o + j] = 0f;
                continue;
            }
            float sum = 0f;
            for (int j = 0; j < t; j++)
            {
                float e = XMath.Exp(scores[o + j] - max);
                pattern[o + j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int j = 0; j < t; j++) pattern[o + j] *= inv;
        }
    }

    // pattern is (B,NH,T,T), v and z are (B,T,NH,HS): z[b,i,h] = Σ_j pattern[b,h,i,j]·v[b,j,h]
    public static void AttentionValuesForward(Index1D thread, Extent extent, ArrayView<float> z, ArrayView<float> pattern, ArrayView<float> v, int t, int nh, int hs)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int c = nh * hs, d = i % hs, h = i / hs % nh, query = i / c % t, b = i / (c * t);
            long po = (((long)b * nh + h) * t + query) * t;
            long vo = (long)b * t * c + h * hs + d;
            float acc = 0f;
            for (int j = 0; j < t; j++) acc += pattern[po + j] * v[vo + (long)j * c];
            z[i] = acc;
        }
    }

    // z is (N,NH,HS), W_O is (C,C) with rows h·HS..(h+1)·HS head h's; result is (N,NH,C): result[n,h] = z[n,h]·W_O[h]
    public static void HeadResultForward(Index1D thread, Extent extent, ArrayView<float> result, ArrayView<float> z, ArrayView<float> wo, int nh, int hs)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int c = nh * hs, ch = i % c, h = i / c % nh;
            long n = i / ((long)c * nh);
            long zo = n * c + h * hs;
            float acc = 0f;
            for (int d = 0; d < hs; d++) acc += z[zo + d] * wo[(long)(h * hs + d) * c + ch];
            result[i] = acc;
        }
    }

    // result is (N,NH,C), bias (C), out (N,C): out = Σ_h result[n,h] + bias
    public static void SumHeadsForward(Index1D thread, Extent extent, ArrayView<float> output, ArrayView<float> result, ArrayView<float> bias, int nh, int c)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            long n = i / c; int ch = i % c;
            float acc = bias[ch];
            for (int h = 0; h < nh; h++) acc += result[(n * nh + h) * c + ch];
            output[i] = acc;
        }
    }

    // GPT-2's "gelu_new": 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    public static void GeluTanhForward(Index1D thread, Extent extent, ArrayView<float> output, ArrayView<float> inp)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            float x = inp[i];
            output[i] = 0.5f * x * (1f + XMath.Tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
        }
    }

    // exact GELU 0.5·x·(1 + erf(x/√2)), erf in double as in Tensors/Kernels/Gelu
    public static void GeluErfForward(Index1D thread, Extent extent, ArrayView<float> output, ArrayView<float> inp)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            double x = inp[i];
            output[i] = (float)(0.5 * x * (1.0 + Erf(x * 0.7071067811865476)));
        }
    }

    private static double Erf(double x)
    {
        double ax = XMath.Abs(x), r;
        if (ax < 2.5)
        {
            // Taylor series: erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n!(2n+1))
            double sum = ax, term = ax, x2 = ax * ax;
            for (int n = 1; n < 60; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (XMath.Abs(add) < 1e-17 * XMath.Abs(sum)) break;
            }
            r = 1.1283791670955126 * sum;
        }
        else
        {
            // continued fraction for erfc
            double x2 = ax * ax, f = 0;
            for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
            r = 1.0 - XMath.Exp(-x2) * 0.5641895835477563 / (ax + f);
        }
        return x < 0 ? -r : r;
    }

    // resid is (B,T,C), out is (B,C): the last position of every row
    public static void GatherLastForward(Index1D thread, Extent extent, ArrayView<float> output, ArrayView<float> resid, int t, int c)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            long b = i / c; int ch = i % c;
            output[i] = resid[(b * t + t - 1) * c + ch];
        }
    }
}

/// <summary>A grid-stride launch: thread t handles elements t, t + Stride, … below Total (few threads, many elements each).</summary>
internal readonly struct Extent(int total, int stride)
{
    public readonly int Total = total, Stride = stride;
}

/// <summary>The sizes and strides of one GEMM call (a struct so the kernel takes one argument).</summary>
internal readonly struct GemmShape(int m, int n, int k, int lda, int ldb, int ldc, bool transB, bool hasBias, int tile)
{
    public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc, TransB = transB ? 1 : 0, HasBias = hasBias ? 1 : 0, Tile = tile;
}
