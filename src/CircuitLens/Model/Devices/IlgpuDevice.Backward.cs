// The backward and attribution kernels of an IlgpuDevice (IlgpuKernels.Backward, IlgpuKernels.Attribution: the sums
// and edge attribution's row gathers),
// compiled the first time a backward pass or an attribution sum needs them, so forward-only runs never pay
// for their compilation. Grid-stride launches like the forward kernels.
using ILGPU;
using ILGPU.Runtime;

namespace CircuitLens.Model.Devices;

internal sealed partial class IlgpuDevice
{
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _layerNormBackward;
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _geluTanhBackward, _geluErfBackward;
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>? _attentionPatternBackward;
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _softmaxBackward;
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>? _attentionQueryBackward;
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, AttentionShape>? _attentionKeyValueBackward;
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _mergeQkv;
    private Action<int, ArrayView<float>, ArrayView<float>, int, int>? _seedLastRows;
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, SegmentShape>? _segmentDotPerPosition, _segmentDotOverPositions;

    /// <summary>(n rows; dinp += …, dscale, dout, inp, weight, C, eps): LayerNorm backward, see IlgpuKernels.LayerNormBackward.</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> LayerNormBackward =>
        _layerNormBackward ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(IlgpuKernels.LayerNormBackward));

    /// <summary>(n; dinp, dout, inp): gelu_new backward.</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>> GeluTanhBackward =>
        _geluTanhBackward ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>>(IlgpuKernels.GeluTanhBackward));

    /// <summary>(n; dinp, dout, inp): exact (erf) GELU backward.</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>> GeluErfBackward =>
        _geluErfBackward ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>>(IlgpuKernels.GeluErfBackward));

    /// <summary>(B·NH·T·T; dpattern, dz, v, T, NH, HS).</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> AttentionPatternBackward =>
        _attentionPatternBackward ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(IlgpuKernels.AttentionPatternBackward));

    /// <summary>(rows; dscores, dpattern, pattern, T).</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> SoftmaxBackward =>
        _softmaxBackward ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(IlgpuKernels.SoftmaxBackward));

    /// <summary>(B·T·C; dq, dscores, k, padLeft, T, NH, HS).</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int> AttentionQueryBackward =>
        _attentionQueryBackward ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>(IlgpuKernels.AttentionQueryBackward));

    /// <summary>(B·T·C; dk, dv, dscores, pattern, q, dz, padLeft, shape).</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, AttentionShape> AttentionKeyValueBackward =>
        _attentionKeyValueBackward ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, AttentionShape>(IlgpuKernels.AttentionKeyValueBackward));

    /// <summary>(N·C; qkv, q, k, v, C).</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> MergeQkv =>
        _mergeQkv ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(IlgpuKernels.MergeQkv));

    /// <summary>(B·T·C; dresid, dfinal, T, C).</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, int, int> SeedLastRows =>
        _seedLastRows ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, int, int>(IlgpuKernels.SeedLastRows));

    /// <summary>(B·T·S; out, clean, corrupt, grad, first, shape).</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, SegmentShape> SegmentDotPerPosition =>
        _segmentDotPerPosition ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, SegmentShape>(IlgpuKernels.SegmentDotPerPosition));

    /// <summary>(B·S; out, clean, corrupt, grad, first, shape).</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, SegmentShape> SegmentDotOverPositions =>
        _segmentDotOverPositions ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, SegmentShape>(IlgpuKernels.SegmentDotOverPositions));

    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int>? _gatherRowsDifference;

    /// <summary>(n·W; dst, a, b, index, W).</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int> GatherRowsDifference =>
        _gatherRowsDifference ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int>(IlgpuKernels.GatherRowsDifference));

    /// <summary>resid (B,T,C) on the device → (B,C) on the host: each example's last position (what a metric and its gradient read).</summary>
    public float[] DownloadLastRows(DeviceTensor resid)
    {
        int b = resid.Shape[0], t = resid.Shape[1], c = resid.Shape[2];
        using var last = Allocate(b * c);
        GatherLast(b * c, last.View, resid.View, t, c);
        var host = new float[b * c];
        Accelerator.Synchronize();
        last.View.CopyToCPU(host);
        NoteTransfer(0, host.Length * sizeof(float));
        return host;
    }

    private Action<int, A, B, C, D, E, F, G, H> Wrap<A, B, C, D, E, F, G, H>(Action<Index1D, Extent, A, B, C, D, E, F, G, H> k)
        where A : struct where B : struct where C : struct where D : struct where E : struct where F : struct where G : struct where H : struct =>
        (n, a, b, c, d, e, f, g2, h) => { var (g, x) = Launch(n); k(g, x, a, b, c, d, e, f, g2, h); };
}
