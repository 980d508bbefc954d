// Segmented dot products for attribution patching on an ILGPU device: Σ (clean − corrupt)·grad over
// segments of three device activations of the same layout, so that only the per-component sums
// (per head, per position, per neuron, per pattern row) come back to the host. A segment s of row
// (b, t) is L consecutive floats from b·StrideB + t·StrideT + s·StrideS: for (B,T,NH·HS) head
// activations S = NH, L = HS; for a (B,T,C) residual S = 1, L = C; for (B,T,d_mlp) neurons S = d_mlp,
// L = 1; for a (B,NH,T,T) pattern S = NH, L = T (a segment is head s's row of weights at query t).
// Also the row gathers edge attribution builds its sender and receiver blocks with.
using ILGPU;

namespace CircuitLens.Model.Devices;

internal static partial class IlgpuKernels
{
    // out is (B,T,S): out[b,t,s] = Σ_{i<L} (clean − corrupt)·grad over segment s of row (b,t); zero where t < first[b]
    public static void SegmentDotPerPosition(Index1D thread, Extent extent, ArrayView<float> output, ArrayView<float> clean, ArrayView<float> corrupt,
        ArrayView<float> grad, ArrayView<int> first, SegmentShape s)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int seg = i % s.S, t = i / s.S % s.T, b = i / (s.S * s.T);
            output[i] = t < first[b] ? 0f : SegmentDot(clean, corrupt, grad, s.Offset(b, t, seg), s.L);
        }
    }

    // out is (B,S): out[b,s] = Σ_{t = first[b]}^{T−1} of the per-position sums above, accumulated in double
    public static void SegmentDotOverPositions(Index1D thread, Extent extent, ArrayView<float> output, ArrayView<float> clean, ArrayView<float> corrupt,
        ArrayView<float> grad, ArrayView<int> first, SegmentShape s)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            int seg = i % s.S, b = i / s.S;
            double acc = 0;
            for (int t = first[b]; t < s.T; t++) acc += SegmentDot(clean, corrupt, grad, s.Offset(b, t, seg), s.L);
            output[i] = (float)acc;
        }
    }

    private static float SegmentDot(ArrayView<float> clean, ArrayView<float> corrupt, ArrayView<float> grad, long o, int length)
    {
        float acc = 0f;
        for (int j = 0; j < length; j++) acc += (clean[o + j] - corrupt[o + j]) * grad[o + j];
        return acc;
    }
}

/// <summary>Where segment s of row (b, t) starts in a device activation, and its length (see IlgpuKernels.Attribution).</summary>
internal readonly struct SegmentShape(int t, int segments, int length, long strideB, long strideT, long strideS)
{
    public readonly int T = t, S = segments, L = length;
    public readonly long StrideB = strideB, StrideT = strideT, StrideS = strideS;

    public long Offset(int b, int t, int s) => b * StrideB + t * StrideT + s * StrideS;
}

internal static partial class IlgpuKernels
{
    // a, b are (rows,W), index is (n), dst is (n,W): dst[i] = a[index[i]] − b[index[i]]
    public static void GatherRowsDifference(Index1D thread, Extent extent, ArrayView<float> dst, ArrayView<float> a, ArrayView<float> b, ArrayView<int> index, int w)
    {
        for (int i = thread; i < extent.Total; i += extent.Stride)
        {
            long o = (long)index[i / w] * w + i % w;
            dst[i] = a[o] - b[o];
        }
    }
}
