// The GPT-2 backward kernels for ILGPU, activation gradients only (no weight gradients): the same
// operations as Tensors/Kernels' LayerNorm, Gelu and Attention backward, one thread per output element
// or per row, for every ILGPU accelerator. Linear layers go backward through IlgpuDevice.MatMul (dX = dY·Wᵀ,
// transB), so they are not here. B, T, C, NH, HS mean what they mean in Gpt2Forward; N = B·T rows.
// Deliberately not here: weight gradients, fused or half-precision paths.
using ILGPU;
using ILGPU.Algorithms;

namespace CircuitLens.Model.Devices;

internal static partial class IlgpuKernels
{
    // inp, dout, dinp are (N,C); weight is (C); dscale is (N). One thread per row, mean and scale recomputed from inp:
    // dinp += (dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)) / scale, dxhat = dout·weight; dscale = −Σ dxhat·xhat / scale
    public static void LayerNormBackward(Index1D thread, Extent extent, ArrayView<float> dinp, ArrayView<float> dscale, ArrayView<float> dout,
        ArrayView<float> inp, ArrayView<float> weight, int c, float eps)
    {
        for (int row = thread; row < extent.Total; row += extent.Stride)
        {
            long o = (long)(int)row * c;
            float sum = 0f;
            for (int j = 0; j < c; j++) sum += inp[o + j];
            float mean = sum / c, sq = 0f;
            for (int j = 0; j < c; j++) { float d = inp[o + j] - mean; sq += d * d; }
            float invScale = 1f / XMath.Sqrt(sq / c + eps);
            float sumD = 0f, sumDx = 0f;
            for (int j = 0; j < c; j++)
            {
                float dxhat = dout[o + j] * weight[j];
                sumD += dxhat;
                sumDx += dxhat * (inp[o + j] - mean) * invScale;
            }
            float meanD = sumD / c, meanDx = sumDx / c;
            dscale[row] = -meanDx * c * invScale;
            for (int j = 0; j < c; j++)
            {
                float xhat = (inp[o + j] - mean) * invScale;
                dinp[o + j] += (dout[o + j] * weight[j] - meanD - xhat * meanDx) * invScale;
            }
        }
    }

    // inp, dout, dinp are (N): dinp = dout·gelu_new'(inp),
    // gelu_new'(x) = 0.5(1+tanh u) + 0.5x·sech²u·√(2/π)(1+3·0.044715x²), u = √(2/π)(x+0.044715x³)
    public static void GeluTanhBackward(Index1D thread, Extent extent, ArrayView<float> dinp, ArrayView<float> dout, ArrayView<float> inp)
    {
        const float s = 0.7978845608028654f, cubic = 0.044715f;
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            float x = inp[i], x2 = x * x;
            float du = x2 * (3f * cubic * s) + s;
            float th = XMath.Tanh((x2 * cubic + 1f) * x * s);
            dinp[i] = ((1f - th * th) * (du * x * 0.5f) + (th + 1f) * 0.5f) * dout[i];
        }
    }

    // inp, dout, dinp are (N): dinp = dout·(Φ(x) + x·φ(x)), the exact GELU's derivative, in double as Tensors/Kernels/Gelu
    public static void GeluErfBackward(Index1D thread, Extent extent, ArrayView<float> dinp, ArrayView<float> dout, ArrayView<float> inp)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            double x = inp[i];
            double cdf = 0.5 * (1.0 + Erf(x * 0.7071067811865476));
            double pdf = XMath.Exp(-0.5 * x * x) * 0.3989422804014327;
            dinp[i] = (float)(dout[i] * (cdf + x * pdf));
        }
    }

    // dz, v are (B,T,NH,HS); dpattern is (B,NH,T,T): dpattern[b,h,i,j] = dz[b,i,h]·v[b,j,h] at every entry, masked ones
    // included (their pattern is zero, so they give no score gradient; Attention.ValuesBackward does the same)
    public static void AttentionPatternBackward(Index1D thread, Extent extent, ArrayView<float> dpattern, ArrayView<float> dz, ArrayView<float> v,
        int t, int nh, int hs)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int key = i % t, query = i / t % t, bh = i / (t * t), h = bh % nh, b = bh / nh, c = nh * hs;
            long zo = ((long)b * t + query) * c + h * hs, vo = ((long)b * t + key) * c + h * hs;
            float acc = 0f;
            for (int d = 0; d < hs; d++) acc += dz[zo + d] * v[vo + d];
            dpattern[i] = acc;
        }
    }

    // pattern, dpattern, dscores are (rows,T): dscores = pattern ⊙ (dpattern − Σ pattern·dpattern); one thread per row.
    // Masked entries (pattern 0) and fully masked pad rows get zero.
    public static void SoftmaxBackward(Index1D thread, Extent extent, ArrayView<float> dscores, ArrayView<float> dpattern, ArrayView<float> pattern, int t)
    {
        for (int row = thread; row < extent.Total; row += extent.Stride)
        {
            long o = (long)(int)row * t;
            float dot = 0f;
            for (int j = 0; j < t; j++) dot += pattern[o + j] * dpattern[o + j];
            for (int j = 0; j < t; j++) dscores[o + j] = (dpattern[o + j] - dot) * pattern[o + j];
        }
    }

    // dscores is (B,NH,T,T); k, dq are (B,T,NH,HS): dq[b,i,h] = Σ_j dscores[b,h,i,j]·k[b,j,h] / √HS over the keys
    // query i sees (padLeft[b] ≤ j ≤ i, the causal and left-padding masks); pad query rows get zero
    public static void AttentionQueryBackward(Index1D thread, Extent extent, ArrayView<float> dq, ArrayView<float> dscores, ArrayView<float> k,
        ArrayView<int> padLeft, int t, int nh, int hs)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int c = nh * hs, d = i % hs, h = i / hs % nh, query = i / c % t, b = i / (c * t);
            long so = (((long)b * nh + h) * t + query) * t;
            long ko = (long)b * t * c + h * hs + d;
            float acc = 0f;
            for (int j = padLeft[b]; j <= query; j++) acc += dscores[so + j] * k[ko + (long)j * c];
            dq[i] = acc * (1f / XMath.Sqrt(hs));
        }
    }

    // dscores, pattern are (B,NH,T,T); q, dz, dk, dv are (B,T,NH,HS), for key row j over the queries that see it
    // (max(j, padLeft[b]) ≤ i < T): dk[b,j,h] = Σ_i dscores[b,h,i,j]·q[b,i,h] / √HS, dv[b,j,h] = Σ_i pattern[b,h,i,j]·dz[b,i,h]
    public static void AttentionKeyValueBackward(Index1D thread, Extent extent, ArrayView<float> dk, ArrayView<float> dv, ArrayView<float> dscores,
        ArrayView<float> pattern, ArrayView<float> q, ArrayView<float> dz, ArrayView<int> padLeft, AttentionShape s)
    {
        int t = s.T, nh = s.NH, hs = s.HS, c = nh * hs;
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int d = i % hs, h = i / hs % nh, key = i / c % t, b = i / (c * t);
            long po = ((long)b * nh + h) * t * t + key;             // [b,h,0,key]; query i adds i·T
            long ro = (long)b * t * c + h * hs + d;                  // [b,0,h,d]; query i adds i·C
            float accK = 0f, accV = 0f;
            for (int query = XMath.Max(key, padLeft[b]); query < t; query++)
            {
                accK += dscores[po + (long)query * t] * q[ro + (long)query * c];
                accV += pattern[po + (long)query * t] * dz[ro + (long)query * c];
            }
            dk[i] = accK * (1f / XMath.Sqrt(hs));
            dv[i] = accV;
        }
    }

    // q, k, v are (N,C) → qkv (N,3C): the inverse of SplitQkv, so one product with W_qkvᵀ gives d ln_1(x)
    public static void MergeQkv(Index1D thread, Extent extent, ArrayView<float> qkv, ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, int c)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            long row = i / c; int ch = i % c;
            long o = row * 3 * c + ch;
            qkv[o] = q[i];
            qkv[o + c] = k[i];
            qkv[o + 2 * c] = v[i];
        }
    }

    // dfinal is (B,C), dresid is (B,T,C): dresid = dfinal at each example's last row, zero elsewhere (the metric's seed)
    public static void SeedLastRows(Index1D thread, Extent extent, ArrayView<float> dresid, ArrayView<float> dfinal, int t, int c)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int ch = i % c, pos = i / c % t, b = i / (c * t);
            dresid[i] = pos == t - 1 ? dfinal[(long)b * c + ch] : 0f;
        }
    }
}

/// <summary>T, NH, HS of an attention kernel with more arguments than ILGPU's launchers take one by one.</summary>
internal readonly struct AttentionShape(int t, int nh, int hs)
{
    public readonly int T = t, NH = nh, HS = hs;
}
