// The prefixed-attention and row-gather kernels of the device suffix runner and of the device path-patching
// rows (IlgpuKernels.Suffix), compiled
// on first use so that a device that never patches never compiles them.
using ILGPU;
using ILGPU.Runtime;

namespace CircuitLens.Model.Devices;

internal sealed partial class IlgpuDevice
{
    /// <summary>The most device memory a patching engine's buffers (corrupted k/v, stacked rows) held at once, in bytes.</summary>
    public long PeakEngineBytes { get; private set; }

    /// <summary>Called by an engine after it allocates: keeps the peak.</summary>
    public void NoteEngineBytes(long bytes) => PeakEngineBytes = Math.Max(PeakEngineBytes, bytes);

    /// <summary>Bytes the patching engines copied host → device and device → host (their own copies, not the forward's).</summary>
    public long EngineBytesUp { get; private set; }
    public long EngineBytesDown { get; private set; }

    /// <summary>Called by an engine for each copy it makes.</summary>
    public void NoteTransfer(long up, long down) { EngineBytesUp += up; EngineBytesDown += down; }

    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, PrefixShape>? _prefixedScores;
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, PrefixShape>? _prefixedValues;
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<int>, int>? _gatherRows, _addGatheredRows;
    private Action<int, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int>? _addHeadOutput;

    /// <summary>(N·NH·T, scores, qkv, kPrefix, meta, padLeft, shape): see IlgpuKernels.PrefixedScoresForward.</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, PrefixShape> PrefixedScores =>
        _prefixedScores ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, PrefixShape>(
            IlgpuKernels.PrefixedScoresForward));

    /// <summary>(N·C, z, pattern, qkv, vPrefix, meta, padLeft, shape): see IlgpuKernels.PrefixedValuesForward.</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, PrefixShape> PrefixedValues =>
        _prefixedValues ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, PrefixShape>(
            IlgpuKernels.PrefixedValuesForward));

    /// <summary>(N·C, out, inp, index, C): out[n] = inp[index[n]].</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<int>, int> GatherRows =>
        _gatherRows ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<int>, int>(IlgpuKernels.GatherRowsForward));

    /// <summary>(N·C, x, src, index, C): x[n] += src[index[n]].</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<int>, int> AddGatheredRows =>
        _addGatheredRows ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<int>, int>(IlgpuKernels.AddGatheredRowsForward));

    /// <summary>(E·C, x, dz, row, head, W_O, HS, C): x[row[e]] += dz[e]·W_O[head[e]].</summary>
    public Action<int, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int> AddHeadOutput =>
        _addHeadOutput ??= Wrap(Accelerator.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int>(
            IlgpuKernels.AddHeadOutputForward));
}
