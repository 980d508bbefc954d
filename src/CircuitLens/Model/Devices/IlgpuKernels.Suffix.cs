// The ILGPU kernels of attention with a key/value prefix (the device twin of Attention.PrefixedForward) and
// of row gathers, for the device suffix runner of the fast exact patching engine and the device rows of
// the fast path-patching engine. Stacked rows: row n is
// position t = s + (n − r0) of sequence b, where meta[3n..3n+2] = (b, s, r0): its variant starts at padded
// position s and its rows begin at row r0. Keys/values before s come from the prefix (the corrupted run's
// hook_k / hook_v of the layer, (B,T,NH,HS)); from s on from the variant's own rows of qkv (N,3C).
// Deliberately not here: a fused (flash-style) kernel; scores, softmax and values are three launches.
using ILGPU;
using ILGPU.Algorithms;

namespace CircuitLens.Model.Devices;

/// <summary>Sizes of a prefixed-attention launch: T padded positions, NH heads of HS channels.</summary>
internal readonly struct PrefixShape(int t, int nh, int hs)
{
    public readonly int T = t, NH = nh, HS = hs;
}

internal static partial class IlgpuKernels
{
    // qkv is (N,3C), kPrefix is (B,T,NH,HS), meta is (N,3), padLeft is (B); scores is (N,NH,T):
    // scores[n,h,j] = q[n,h]·k[j,h]/√HS for pad ≤ j ≤ t, −inf elsewhere (masked keys)
    public static void PrefixedScoresForward(Index1D thread, Extent extent, ArrayView<float> scores, ArrayView<float> qkv, ArrayView<float> kPrefix,
        ArrayView<int> meta, ArrayView<int> padLeft, PrefixShape s)
    {
        int c = s.NH * s.HS;
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int j = i % s.T, h = i / s.T % s.NH, n = i / (s.T * s.NH);
            int b = meta[3 * n], start = meta[3 * n + 1], r0 = meta[3 * n + 2];
            int t = start + n - r0;
            if (j < padLeft[b] || j > t) { scores[i] = float.NegativeInfinity; continue; }
            long qo = (long)n * 3 * c + h * s.HS;
            float dot = 0f;
            if (j < start)
            {
                long ko = ((long)b * s.T + j) * c + h * s.HS;
                for (int d = 0; d < s.HS; d++) dot += qkv[qo + d] * kPrefix[ko + d];
            }
            else
            {
                long ko = (long)(r0 + j - start) * 3 * c + c + h * s.HS;
                for (int d = 0; d < s.HS; d++) dot += qkv[qo + d] * qkv[ko + d];
            }
            scores[i] = dot * (1f / XMath.Sqrt(s.HS));
        }
    }

    // pattern is (N,NH,T) (zero where masked), vPrefix is (B,T,NH,HS); z is (N,NH,HS): z[n,h] = Σ_j pattern[n,h,j]·v[j,h]
    public static void PrefixedValuesForward(Index1D thread, Extent extent, ArrayView<float> z, ArrayView<float> pattern, ArrayView<float> qkv, ArrayView<float> vPrefix,
        ArrayView<int> meta, ArrayView<int> padLeft, PrefixShape s)
    {
        int c = s.NH * s.HS;
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int d = i % s.HS, h = i / s.HS % s.NH, n = i / c;
            int b = meta[3 * n], start = meta[3 * n + 1], r0 = meta[3 * n + 2];
            int t = start + n - r0;
            long po = ((long)n * s.NH + h) * s.T;
            float acc = 0f;
            for (int j = padLeft[b]; j <= t; j++)
            {
                float v = j < start ? vPrefix[((long)b * s.T + j) * c + h * s.HS + d] : qkv[(long)(r0 + j - start) * 3 * c + 2 * c + h * s.HS + d];
                acc += pattern[po + j] * v;
            }
            z[i] = acc;
        }
    }

    // inp is (rows,C), index is (N), out is (N,C): out[n] = inp[index[n]]; out must not alias inp
    public static void GatherRowsForward(Index1D thread, Extent extent, ArrayView<float> output, ArrayView<float> inp, ArrayView<int> index, int c)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int n = i / c, ch = i % c;
            output[i] = inp[(long)index[n] * c + ch];
        }
    }

    // x is (N,C), src is (rows,C), index is (N): x[n] += src[index[n]]
    public static void AddGatheredRowsForward(Index1D thread, Extent extent, ArrayView<float> x, ArrayView<float> src, ArrayView<int> index, int c)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int n = i / c, ch = i % c;
            x[i] += src[(long)index[n] * c + ch];
        }
    }

    // x is (rows,C), dz is (E,HS), row and head are (E), W_O is (C,C) with rows h·HS..(h+1)·HS head h's:
    // x[row[e]] += dz[e]·W_O[head[e]] (one entry per row: no two entries write the same row)
    public static void AddHeadOutputForward(Index1D thread, Extent extent, ArrayView<float> x, ArrayView<float> dz, ArrayView<int> row, ArrayView<int> head,
        ArrayView<float> wo, int hs, int c)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int e = i / c, ch = i % c, h = head[e];
            long zo = (long)e * hs;
            float acc = 0f;
            for (int d = 0; d < hs; d++) acc += dz[zo + d] * wo[(long)(h * hs + d) * c + ch];
            x[(long)row[e] * c + ch] += acc;
        }
    }
}
