// The fast path-patching engine's step-1 rows on an ILGPU device, with PathPatching.RowRunner's numbers: the
// stacked rows (every sender of a layer × the rows it can change) stay on the device while each later layer adds
// its clean attention output (every head frozen; the clean run's hook_attn_out of every layer is kept on the
// device) and recomputes its MLP through the device block (IlgpuBlock.Mlp); receivers' q/k/v come from the device
// block's ln_1 and W_QKV (IlgpuBlock.Qkv).
// What crosses the bus: once per batch, the clean hook_attn_out of every layer goes up (L·B·T·C floats); per run
// of senders, the starting rows (R·C, prepared on the host by RowRunner.Start, which also says which pairs each
// sender moved) and their (pair, position) indices (R ints) go up; back come the rows' q|k|v at each receiver
// layer (R·3C) and, for the metric, the rows (R·C; for the logits receiver one row per sender and pair).
using ILGPU;
using ILGPU.Runtime;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Patching.Metrics;

namespace CircuitLens.Circuits;

internal sealed class DevicePathRows : IPathRows, IDisposable
{
    private readonly IlgpuBlock _block;
    private readonly IlgpuDevice _dev;
    private readonly PathPatching.RowRunner _host;
    private readonly Gpt2Config _cfg;
    private readonly int _c;
    private readonly long _perLayer;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _attnOut;   // clean run: attn_out of every layer (L,B,T,C)
    private readonly List<IDisposable> _buffers = [];
    private readonly DeviceBlockRows _rows = new();
    private MemoryBuffer1D<int, Stride1D.Dense>? _index;
    private int _capacity;

    public DevicePathRows(IlgpuBlock block, PathPatching.RowRunner host, ActivationCache clean, int T)
    {
        _block = block; _dev = block.Device; _host = host; _cfg = block.Config;
        int L = _cfg.NLayers;
        _c = _cfg.DModel;
        _perLayer = (long)clean[HookPoint.AttnOut, 0].Dim(0) * T * _c;
        _attnOut = _dev.Allocate(L * _perLayer);
        for (int l = 0; l < L; l++)
            _attnOut.View.SubView(l * _perLayer, _perLayer).CopyFromCPU(_dev.Accelerator.DefaultStream, (ReadOnlySpan<float>)clean[HookPoint.AttnOut, l].Data);
        _dev.NoteTransfer(_attnOut.LengthInBytes, 0);
    }

    public bool[,] Start(IReadOnlyList<HeadId> senders, ActivationCache clean, ActivationCache source, int[] rowStart, int[] rowOffset, int rowsPerHead, int T)
    {
        var changed = _host.Start(senders, clean, source, rowStart, rowOffset, rowsPerHead, T);
        var x = _host.Rows;
        int R = x.Length / _c;
        Ensure(R);
        var index = new int[R];
        for (int i = 0; i < senders.Count; i++)
            for (int b = 0; b < rowStart.Length; b++)
                for (int t = rowStart[b]; t < T; t++) index[i * rowsPerHead + rowOffset[b] + t - rowStart[b]] = b * T + t;
        var stream = _dev.Accelerator.DefaultStream;
        ((ArrayView1D<int, Stride1D.Dense>)_index!.View.SubView(0, R)).CopyFromCPU(stream, (ReadOnlySpan<int>)index);
        ((ArrayView1D<float, Stride1D.Dense>)_rows.Resid.SubView(0, (long)R * _c)).CopyFromCPU(stream, (ReadOnlySpan<float>)x);
        _dev.NoteTransfer(sizeof(int) * (long)R + sizeof(float) * (long)R * _c, 0);
        _rows.Count = R;
        return changed;
    }

    public void RunMlpsFrom(int senderLayer, int stop, ActivationCache clean, int[] rowStart, int[] rowOffset, int rowsPerHead, Action<int>? beforeLayer)
    {
        int R = _rows.Count;
        for (int m = senderLayer; m < stop; m++)
        {
            if (m > senderLayer)
            {
                beforeLayer?.Invoke(m);
                _dev.AddGatheredRows(R * _c, _rows.Resid, _attnOut.View.SubView(m * _perLayer, _perLayer), _index!.View.SubView(0, R), _c);
            }
            _block.Mlp(_rows, m, null);
        }
    }

    // the rows come back into the host runner, which picks each (sender, pair)'s row and scores it
    public float[] Metric(PatchingMetric metric, int senders, int B, int rowsPerHead, int[] rowOffset)
    {
        _dev.Accelerator.Synchronize();
        ((ArrayView1D<float, Stride1D.Dense>)_rows.Resid.SubView(0, (long)_rows.Count * _c)).CopyToCPU(_dev.Accelerator.DefaultStream, _host.Rows);
        _dev.NoteTransfer(0, sizeof(float) * (long)_rows.Count * _c);
        return _host.Metric(metric, senders, B, rowsPerHead, rowOffset);
    }

    public void RecordInputs(PathReceivers receivers, int layer, Dictionary<ReceiverInput, float[]> recorded)
    {
        var here = receivers.Heads.Where(r => r.Head.Layer == layer).ToList();
        if (here.Count == 0) return;
        int R = _rows.Count, C = _c, D = _cfg.DHead;
        _block.Qkv(_rows, layer, null);
        var qkv = new float[R * 3 * C];
        _dev.Accelerator.Synchronize();
        ((ArrayView1D<float, Stride1D.Dense>)_rows.Qkv.SubView(0, qkv.Length)).CopyToCPU(_dev.Accelerator.DefaultStream, (Span<float>)qkv);
        _dev.NoteTransfer(0, sizeof(float) * (long)qkv.Length);
        foreach (var r in here)
        {
            int column = (r.Input - HookPoint.Q) * C + r.Head.Head * D;
            var dst = new float[R * D];
            for (int i = 0; i < R; i++) qkv.AsSpan(i * 3 * C + column, D).CopyTo(dst.AsSpan(i * D, D));
            recorded[r] = dst;
        }
    }

    private void Ensure(int rows)
    {
        if (_capacity >= rows) return;
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
        int cap = Math.Max(rows, _capacity * 2), M = _cfg.DMlp, C = _c;
        ArrayView<float> New(long length) { var b = _dev.Allocate(length); _buffers.Add(b); return b.View; }
        _rows.Resid = New((long)cap * C); _rows.Centered = New((long)cap * C); _rows.Scale = New(cap); _rows.LnOut = New((long)cap * C);
        _rows.Qkv = New((long)cap * 3 * C); _rows.MlpOut = New((long)cap * C); _rows.MlpPre = New((long)cap * M); _rows.MlpPost = New((long)cap * M);
        _index = _dev.Accelerator.Allocate1D<int>(cap); _buffers.Add(_index);
        _capacity = cap;
        _dev.NoteEngineBytes(_attnOut.LengthInBytes + _buffers.OfType<MemoryBuffer>().Sum(b => b.LengthInBytes));
    }

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
        _attnOut.Dispose();
    }
}
