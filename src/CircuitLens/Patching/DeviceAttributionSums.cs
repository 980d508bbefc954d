// Attribution patching's per-chunk work on an ILGPU device: the corrupted and the clean forward runs
// keep the activations the sweeps (and the backward pass) need ON THE DEVICE (IlgpuForward.RunOnDevice),
// the backward pass runs there (IlgpuBackward), and the sweeps' sums are segmented dot products there
// (IlgpuKernels.Attribution). What crosses the bus per chunk: the token ids, the (B,C) last rows of each
// run's final residual (the metric and its gradient are the batch's PatchingMetric, on the host, as on
// the cpu device), the (B,C) seed going back, and the (B,S) or (B,T,S) sums. The sweep layout stays in
// AttributionPatching.Fill. Both runs cover every row (no suffix runs): positions before a pair's first
// difference have equal activations in both runs, and their sums are never read.
using ILGPU;
using ILGPU.Runtime;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Model.Devices;

namespace CircuitLens.Patching;

internal sealed class DeviceAttributionSums : IAttributionSums, IDisposable
{
    private readonly IlgpuDevice _dev;
    private readonly DeviceActivations _clean, _corrupt, _grads;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _first;
    private readonly int B, T, L;

    private DeviceAttributionSums(IlgpuDevice dev, DeviceActivations clean, DeviceActivations corrupt, DeviceActivations grads, int[] first, int seqLen, int nLayers)
    {
        _dev = dev; _clean = clean; _corrupt = corrupt; _grads = grads;
        B = first.Length; T = seqLen; L = nLayers;
        _first = dev.Accelerator.Allocate1D(first);
        dev.NoteTransfer(first.Length * sizeof(int), 0);
    }

    /// <summary>
    /// Runs <paramref name="chunk"/>'s corrupted and clean prompts and the backward pass of its metric on the device, keeping the
    /// activations and gradients of <paramref name="needed"/>; returns the sums' source and each pair's clean and corrupted metric.
    /// </summary>
    public static DeviceAttributionSums Run(IlgpuForward forward, PatchingBatch chunk, HashSet<string> needed, int[] first,
        out float[] cleanMetric, out float[] corruptMetric)
    {
        var w = forward.Weights;
        int nLayers = w.Config.NLayers;
        string final = HookNames.Name(HookPoint.ResidPost, nLayers - 1);
        var dev = forward.Device;
        DeviceActivations? corrupt = null, clean = null, grads = null;
        try
        {
            corrupt = new DeviceActivations(dev, n => needed.Contains(n) || Gpt2Backward.NeedsInCache(n, nLayers));
            forward.RunOnDevice(chunk.Corrupt, corrupt);
            var corruptRows = dev.DownloadLastRows(corrupt[final]);
            var pairs = Enumerable.Range(0, chunk.Count).ToArray();
            corruptMetric = new float[chunk.Count];
            chunk.Metric.Evaluate(w, pairs, corruptRows, corruptMetric);
            var dFinal = new float[corruptRows.Length];
            chunk.Metric.Gradient(w, pairs, corruptRows, dFinal);

            clean = new DeviceActivations(dev, n => needed.Contains(n) || n == final);
            forward.RunOnDevice(chunk.Clean, clean);
            cleanMetric = new float[chunk.Count];
            chunk.Metric.Evaluate(w, pairs, dev.DownloadLastRows(clean[final]), cleanMetric);

            grads = IlgpuBackward.Gradients(forward, chunk.Corrupt, corrupt, dFinal, needed.Contains);
            return new DeviceAttributionSums(dev, clean, corrupt, grads, first, chunk.SeqLen, nLayers);
        }
        catch
        {
            corrupt?.Dispose(); clean?.Dispose(); grads?.Dispose();
            throw;
        }
    }

    public float[] PerPosition(string hookName, int segments) => Sums(hookName, segments, perPosition: true);

    public float[] OverPositions(string hookName, int segments) => Sums(hookName, segments, perPosition: false);

    private float[] Sums(string hookName, int segments, bool perPosition)
    {
        var clean = _clean[hookName];
        var shape = Shape(hookName, clean.Shape, segments);
        var host = new float[perPosition ? B * T * segments : B * segments];
        using var output = _dev.Allocate(host.Length);
        if (perPosition) _dev.SegmentDotPerPosition(host.Length, output.View, clean.View, _corrupt[hookName].View, _grads[hookName].View, _first.View, shape);
        else _dev.SegmentDotOverPositions(host.Length, output.View, clean.View, _corrupt[hookName].View, _grads[hookName].View, _first.View, shape);
        _dev.Accelerator.Synchronize();
        output.View.CopyToCPU(host);
        _dev.NoteTransfer(0, host.Length * sizeof(float));
        return host;
    }

    // a (B,NH,T,T) pattern: segment s of row (b,t) is head s's weights at query t; else (B,T,…) rows of W floats in S equal segments
    private SegmentShape Shape(string hookName, int[] shape, int segments)
    {
        bool pattern = HookNames.TryParse(hookName, L, out var point, out _) && point == HookPoint.Pattern;
        if (pattern) return new SegmentShape(T, segments, T, (long)shape[1] * T * T, T, (long)T * T);
        long width = 1;
        for (int i = 2; i < shape.Length; i++) width *= shape[i];
        return new SegmentShape(T, segments, (int)(width / segments), T * width, width, width / segments);
    }

    public void Dispose()
    {
        _first.Dispose();
        _clean.Dispose(); _corrupt.Dispose(); _grads.Dispose();
    }
}
