// SuffixRunner's device twin: runs many patched variants of the corrupted prompts at once on an ILGPU device
// (a CUDA GPU, or ILGPU's CPU accelerator in tests), with the same algorithm and numbers. Every block is
// IlgpuBlock's steps over the stacked rows s..T−1 of every variant, each query attending to the corrupted
// run's keys/values before its variant's start (kept on the device for every layer) and to its own variant's
// rows from there (IlgpuBlock.AttendWithPrefix). In the last layer only each variant's final row is kept
// (compacted on the device) and only those rows come back for the batch's metric.
// What crosses the bus: once per batch, the corrupted run's hook_k and hook_v of every layer go up (2·L·B·T·C
// floats) and stay for every sweep; per run of stacked variants, their R starting residual rows go up (R·C
// floats, prepared on the host by FastActivationPatching from the host caches, R ≤ MaxRowsPerRun), with 3R ints
// saying which pair/start/row each row is, and V·C floats (each variant's final residual row) come back. Head
// sweeps add their patched head's output on the device: only the change of z (HS floats a row, with its row and
// head) goes up, and the device adds dz·W_O[h] (the host would spend HS·C multiply-adds a row on it). No
// recorder: the device runner only feeds the fast exact engine.
using ILGPU;
using ILGPU.Runtime;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Model.Devices;

namespace CircuitLens.Patching;

internal sealed class DeviceSuffixRunner : ISuffixRunner, IDisposable
{
    private readonly IlgpuBlock _block;
    private readonly IlgpuDevice _dev;
    private readonly Gpt2Weights _w;
    private readonly Gpt2Config _cfg;
    private readonly PatchingBatch _data;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _k, _v;   // corrupted run: k, v of every layer (L,B,T,NH,HS)
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _padLeft;
    private readonly List<IDisposable> _buffers = [];
    private readonly DeviceBlockRows _rows = new();
    private MemoryBuffer1D<int, Stride1D.Dense>? _meta, _index, _dzRow, _dzHead;
    private MemoryBuffer1D<float, Stride1D.Dense>? _dz;
    private float[] _host = [];   // the variants' starting residual rows, filled by the engine
    private float[] _hostDz = [];  // head outputs to add on the device: dz rows, their residual row and head (AddHeadOutput)
    private int[] _hostDzRow = [], _hostDzHead = [];
    private int _dzCount, _dzLayer = -1;
    private int _capacity;

    public DeviceSuffixRunner(IlgpuBlock block, Gpt2Weights weights, PatchingBatch data, ActivationCache corruptCache)
    {
        _block = block; _dev = block.Device; _w = weights; _cfg = weights.Config; _data = data;
        int L = _cfg.NLayers, B = data.Clean.BatchSize, T = data.SeqLen, C = _cfg.DModel;
        long perLayer = (long)B * T * C;
        _k = _dev.Allocate(L * perLayer);
        _v = _dev.Allocate(L * perLayer);
        for (int l = 0; l < L; l++)
        {
            _k.View.SubView(l * perLayer, perLayer).CopyFromCPU(_dev.Accelerator.DefaultStream, (ReadOnlySpan<float>)corruptCache[HookPoint.K, l].Data);
            _v.View.SubView(l * perLayer, perLayer).CopyFromCPU(_dev.Accelerator.DefaultStream, (ReadOnlySpan<float>)corruptCache[HookPoint.V, l].Data);
        }
        var pad = new int[B];
        for (int b = 0; b < B; b++) pad[b] = data.PadLeft(b);
        _padLeft = _dev.Accelerator.Allocate1D(pad);
        _dev.NoteTransfer(_k.LengthInBytes + _v.LengthInBytes + _padLeft.LengthInBytes, 0);
    }

    private int C => _cfg.DModel;
    private int SeqLen => _data.SeqLen;

    public Span<float> Residual(SuffixRunner.Variants vs)
    {
        Ensure(vs.TotalRows);
        _dzCount = 0;
        return _host.AsSpan(0, vs.TotalRows * C);
    }

    public void AddHeadOutput(int row, int layer, int head, ReadOnlySpan<float> dz)
    {
        if (_dzCount > 0 && layer != _dzLayer) throw new InvalidOperationException("head outputs of one run must come from one layer");
        int D = _cfg.DHead, e = _dzCount++;
        _dzLayer = layer;
        dz.CopyTo(_hostDz.AsSpan(e * D, D));
        _hostDzRow[e] = row; _hostDzHead[e] = head;
    }

    public float[] RunFromResidPre(SuffixRunner.Variants vs, int layer)
    {
        if (layer >= _cfg.NLayers)
        {
            // a patch after the last block: the rows are final already
            if (_dzCount > 0) throw new InvalidOperationException("head outputs are added on the device: run from a layer's resid_mid");
            return HostMetric(vs);
        }
        Upload(vs);
        return Continue(vs, layer);
    }

    public float[] RunFromResidMid(SuffixRunner.Variants vs, int layer)
    {
        Upload(vs);
        if (layer == _cfg.NLayers - 1)
        {
            CompactToLastRows(vs, withHeadOutputs: false);
            _block.Mlp(Rows(vs.Count), layer, null);
            return DeviceMetric(vs);
        }
        _block.Mlp(Rows(vs.TotalRows), layer, null);
        return Continue(vs, layer + 1);
    }

    // the device rows hold resid_pre of layer (≤ the last): full blocks, then the last one on each variant's final row
    private float[] Continue(SuffixRunner.Variants vs, int layer)
    {
        int last = _cfg.NLayers - 1, R = vs.TotalRows;
        var prefix = new DevicePrefix(default, default, _meta!.View, _padLeft.View, SeqLen);
        for (int l = layer; l <= last; l++)
        {
            long perLayer = (long)_data.Clean.BatchSize * SeqLen * C;
            prefix = prefix with { K = _k.View.SubView(l * perLayer, perLayer), V = _v.View.SubView(l * perLayer, perLayer) };
            _block.Qkv(Rows(R), l, null);
            _block.AttendWithPrefix(Rows(R), l, prefix, null);
            if (l == last) break;
            _block.AttentionOutput(Rows(R), l, null);
            _block.Mlp(Rows(R), l, null);
        }
        CompactToLastRows(vs, withHeadOutputs: true);
        _block.AttentionOutput(Rows(vs.Count), last, null);
        _block.Mlp(Rows(vs.Count), last, null);
        return DeviceMetric(vs);
    }

    private DeviceBlockRows Rows(int count)
    {
        _rows.Count = count;
        return _rows;
    }

    // the host rows go up with each row's (pair, start, first row of its variant)
    private void Upload(SuffixRunner.Variants vs)
    {
        int R = vs.TotalRows;
        var meta = new int[3 * R];
        for (int v = 0; v < vs.Count; v++)
            for (int i = 0; i < vs.Rows(v, SeqLen); i++)
            {
                int n = vs.RowOffset[v] + i;
                meta[3 * n] = vs.Pair[v]; meta[3 * n + 1] = vs.Start[v]; meta[3 * n + 2] = vs.RowOffset[v];
            }
        var stream = _dev.Accelerator.DefaultStream;
        ((ArrayView1D<int, Stride1D.Dense>)_meta!.View.SubView(0, 3 * R)).CopyFromCPU(stream, (ReadOnlySpan<int>)meta);
        ((ArrayView1D<float, Stride1D.Dense>)_rows.Resid.SubView(0, (long)R * C)).CopyFromCPU(stream, (ReadOnlySpan<float>)_host.AsSpan(0, R * C));
        _dev.NoteTransfer(sizeof(int) * 3L * R + sizeof(float) * (long)R * C, 0);
        if (_dzCount == 0) return;
        int E = _dzCount, D = _cfg.DHead;
        _dev.NoteTransfer(sizeof(float) * (long)E * D + sizeof(int) * 2L * E, 0);
        ((ArrayView1D<float, Stride1D.Dense>)_dz!.View.SubView(0, (long)E * D)).CopyFromCPU(stream, (ReadOnlySpan<float>)_hostDz.AsSpan(0, E * D));
        ((ArrayView1D<int, Stride1D.Dense>)_dzRow!.View.SubView(0, E)).CopyFromCPU(stream, (ReadOnlySpan<int>)_hostDzRow.AsSpan(0, E));
        ((ArrayView1D<int, Stride1D.Dense>)_dzHead!.View.SubView(0, E)).CopyFromCPU(stream, (ReadOnlySpan<int>)_hostDzHead.AsSpan(0, E));
        _dev.AddHeadOutput(E * C, _rows.Resid, _dz.View, _dzRow.View, _dzHead.View, _block.W(_w.Layers[_dzLayer].AttnOutWeight), D, C);
        _dzCount = 0;
    }

    // In the last layer only each variant's final row reaches the metric: gather those rows (and their z) to rows 0..V−1.
    private void CompactToLastRows(SuffixRunner.Variants vs, bool withHeadOutputs)
    {
        var index = new int[vs.Count];
        for (int v = 0; v < vs.Count; v++) index[v] = vs.RowOffset[v] + vs.Rows(v, SeqLen) - 1;
        ((ArrayView1D<int, Stride1D.Dense>)_index!.View.SubView(0, vs.Count)).CopyFromCPU(_dev.Accelerator.DefaultStream, (ReadOnlySpan<int>)index);
        _dev.NoteTransfer(sizeof(int) * (long)vs.Count, 0);
        var idx = _index.View.SubView(0, vs.Count);
        // gather into a scratch buffer of the same size, which then becomes the residual (the scratch is free here)
        _dev.GatherRows(vs.Count * C, _rows.Centered, _rows.Resid, idx, C);
        (_rows.Resid, _rows.Centered) = (_rows.Centered, _rows.Resid);
        if (!withHeadOutputs) return;
        _dev.GatherRows(vs.Count * C, _rows.AttnOut, _rows.Z, idx, C);
        (_rows.Z, _rows.AttnOut) = (_rows.AttnOut, _rows.Z);
    }

    // the final residual rows (rows 0..V−1 after compaction) come back; the batch's metric scores them on the host
    private float[] DeviceMetric(SuffixRunner.Variants vs)
    {
        var rows = new float[vs.Count * C];
        _dev.Accelerator.Synchronize();
        ((ArrayView1D<float, Stride1D.Dense>)_rows.Resid.SubView(0, rows.Length)).CopyToCPU(_dev.Accelerator.DefaultStream, (Span<float>)rows);
        _dev.NoteTransfer(0, sizeof(float) * (long)rows.Length);
        return Evaluate(vs, rows);
    }

    private float[] HostMetric(SuffixRunner.Variants vs)
    {
        var rows = new float[vs.Count * C];
        for (int v = 0; v < vs.Count; v++)
            _host.AsSpan((vs.RowOffset[v] + vs.Rows(v, SeqLen) - 1) * C, C).CopyTo(rows.AsSpan(v * C, C));
        return Evaluate(vs, rows);
    }

    private float[] Evaluate(SuffixRunner.Variants vs, float[] rows)
    {
        var result = new float[vs.Count];
        _data.Metric.Evaluate(_w, vs.Pair.ToArray(), rows, result);
        return result;
    }

    private void Ensure(int rows)
    {
        if (_capacity >= rows) return;
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
        int cap = Math.Max(rows, _capacity * 2), M = _cfg.DMlp, H = _cfg.NHeads, T = SeqLen;
        ArrayView<float> New(long length) { var b = _dev.Allocate(length); _buffers.Add(b); return b.View; }
        _rows.Resid = New((long)cap * C); _rows.Centered = New((long)cap * C); _rows.Scale = New(cap); _rows.LnOut = New((long)cap * C);
        _rows.Qkv = New((long)cap * 3 * C); _rows.Scores = New((long)cap * H * T); _rows.Pattern = New((long)cap * H * T);
        _rows.Z = New((long)cap * C); _rows.AttnOut = New((long)cap * C); _rows.MlpOut = New((long)cap * C);
        _rows.MlpPre = New((long)cap * M); _rows.MlpPost = New((long)cap * M);
        _meta = _dev.Accelerator.Allocate1D<int>(3L * cap); _buffers.Add(_meta);
        _index = _dev.Accelerator.Allocate1D<int>(cap); _buffers.Add(_index);
        _dz = _dev.Allocate((long)cap * _cfg.DHead); _buffers.Add(_dz);
        _dzRow = _dev.Accelerator.Allocate1D<int>(cap); _buffers.Add(_dzRow);
        _dzHead = _dev.Accelerator.Allocate1D<int>(cap); _buffers.Add(_dzHead);
        _host = new float[cap * C];
        _hostDz = new float[cap * _cfg.DHead]; _hostDzRow = new int[cap]; _hostDzHead = new int[cap];
        _capacity = cap;
        _dev.NoteEngineBytes(AllocatedBytes);
    }

    /// <summary>Device memory this runner holds: the corrupted k/v of every layer and the row buffers.</summary>
    public long AllocatedBytes => _k.LengthInBytes + _v.LengthInBytes + _buffers.OfType<MemoryBuffer>().Sum(b => b.LengthInBytes);

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
        _k.Dispose(); _v.Dispose(); _padLeft.Dispose();
    }
}
