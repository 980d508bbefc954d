// The GPT-2 forward pass on an ILGPU accelerator, step for step the same as Gpt2Forward:
//   x = wte[tokens] + wpe[pos]; for each block: x += attn(ln_1(x)); x += mlp(ln_2(x)); logits = ln_f(x)·wteᵀ
// Each block is IlgpuBlock's steps over all B·T rows with attention within the batch (the same block the
// device suffix runner of the fast patching engine runs with a key/value prefix).
// Weights are uploaded once; activations stay on the device. A hook point costs nothing unless a hook
// is registered there: then that activation is copied to the host, the hooks run (and may edit it),
// and it is copied back. Only the logits and the final residual come back at the end.
using ILGPU;
using ILGPU.Runtime;
using CircuitLens.Hooks;
using CircuitLens.Tensors;

namespace CircuitLens.Model.Devices;

internal sealed class IlgpuForward : IForwardBackend
{
    private readonly IlgpuDevice _dev;
    private readonly Gpt2Weights _w;
    private readonly Gpt2Config _cfg;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _weights;
    private readonly object _gate = new();
    private readonly IlgpuBlock _block;
    private DeviceWorkspace? _ws;
    private DeviceActivations? _retain;   // during RunOnDevice: where Fire copies the activations it keeps

    public IlgpuForward(IlgpuDevice device, Gpt2Weights weights)
    {
        _dev = device;
        _w = weights;
        _cfg = weights.Config;
        _weights = device.Allocate(weights.Buffer.LongLength);
        _weights.View.CopyFromCPU(weights.Buffer);
        _block = new IlgpuBlock(device, weights, _weights.View);
    }

    public string Description => _dev.Description;
    public long AllocatedBytes => _weights.LengthInBytes + (_ws?.Bytes ?? 0);
    public double? PeakGflops => _dev.PeakGflops;
    public IlgpuDevice Device => _dev;
    /// <summary>The device block over the uploaded weights (the fast patching engine's suffix runner runs it too).</summary>
    public IlgpuBlock Block => _block;

    private ArrayView<float> W(ParamView p) => _weights.View.SubView(p.Offset, p.Length);

    public ForwardResult Run(TokenBatch batch, ForwardOptions options, HookRegistry hooks) => Run(batch, options, hooks, null)!;

    /// <summary>
    /// Runs the whole model with no logits, copying (device to device) the activations <paramref name="into"/> keeps (after
    /// any hooks); nothing comes back to the host but what hooks read. Device engines (attribution) read them from there.
    /// </summary>
    internal void RunOnDevice(TokenBatch batch, DeviceActivations into, HookRegistry? hooks = null) =>
        Run(batch, new ForwardOptions { Logits = LogitsMode.None }, hooks ?? HookRegistry.Empty, into);

    internal Gpt2Weights Weights => _w;

    /// <summary>A weight tensor's view in the uploaded parameter buffer.</summary>
    internal ArrayView<float> Param(ParamView p) => W(p);

    private ForwardResult? Run(TokenBatch batch, ForwardOptions options, HookRegistry hooks, DeviceActivations? retain)
    {
        int B = batch.BatchSize, T = batch.SeqLen, C = _cfg.DModel;
        if (T > _cfg.NCtx) throw new CircuitLensException($"sequence of {T} tokens is longer than the model's context ({_cfg.NCtx})");
        int start = options.StartAtLayer, stop = options.StopAtLayer ?? _cfg.NLayers;
        if (start < 0 || start > _cfg.NLayers || stop < start || stop > _cfg.NLayers)
            throw new ArgumentOutOfRangeException(nameof(options), $"layers [{start}, {stop}) out of range for {_cfg.NLayers} layers");
        lock (_gate)
        {
            _retain = retain;
            var ws = _ws is { } cached && cached.B == B && cached.T == T ? cached : Replace(B, T);
            var pad = new int[B];
            for (int b = 0; b < B; b++) pad[b] = batch.PadLeft(b);
            ws.PadLeft.View.CopyFromCPU(pad);

            if (start == 0) Embed(ws, batch, hooks);
            else
            {
                var sr = options.StartResidual ?? throw new ArgumentException("StartAtLayer > 0 needs StartResidual");
                if (sr.Length != B * T * C) throw new ArgumentException($"StartResidual has shape {sr.ShapeString}, expected [{B}, {T}, {C}]");
                ws.Resid.Buffer.View.CopyFromCPU(sr.Data);
            }
            var tap = new HookTap(this, ws, batch, hooks);
            for (int l = start; l < stop; l++) RunBlock(ws, l, tap);

            _retain = null;
            if (retain is not null) return null;
            Tensor? logits = options.StopAtLayer is not null || options.Logits == LogitsMode.None ? null : Unembed(ws, batch, options.Logits, hooks);
            return new ForwardResult(logits, ws.Resid.Download());
        }
    }

    private DeviceWorkspace Replace(int b, int t)
    {
        _ws?.Dispose();
        return _ws = new DeviceWorkspace(_dev, _cfg, b, t);
    }

    // tokens is (B,T); wte is (V,C), wpe is (NCtx,C); resid is (B,T,C)
    private void Embed(DeviceWorkspace ws, TokenBatch batch, HookRegistry hooks)
    {
        int B = ws.B, T = ws.T, C = _cfg.DModel;
        var ids = new int[B * T];
        var pos = new int[B * T];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
            {
                int i = b * T + t;
                if (t < batch.PadLeft(b)) { ids[i] = -1; continue; }
                int id = batch.Ids[i];
                if ((uint)id >= (uint)_cfg.VocabSize) throw new CircuitLensException($"token id {id} is outside the vocabulary (size {_cfg.VocabSize})");
                ids[i] = id;
                pos[i] = batch.PositionId(b, t);
            }
        ws.Ids.View.CopyFromCPU(ids);
        ws.PosIds.View.CopyFromCPU(pos);
        _dev.Embed(B * T * C, ws.Embed.View, ws.PosEmbed.View, ws.Ids.View, ws.PosIds.View, W(_w.TokenEmbedding), W(_w.PositionEmbedding), C);
        Fire(hooks, HookPoint.Embed, -1, ws.Embed, batch);
        Fire(hooks, HookPoint.PosEmbed, -1, ws.PosEmbed, batch);
        _dev.Add(B * T * C, ws.Resid.View, ws.Embed.View, ws.PosEmbed.View);
    }

    private void RunBlock(DeviceWorkspace ws, int l, HookTap tap)
    {
        var lw = _w.Layers[l];
        var rows = ws.Rows;
        int N = ws.B * ws.T, C = _cfg.DModel, H = _cfg.NHeads, D = _cfg.DHead;
        _block.Qkv(rows, l, tap);
        _block.AttendWithinBatch(rows, l, ws.PadLeft.View, ws.B, ws.T, tap);
        bool result = tap.Hooks.Active(HookPoint.Result, l);
        if (result)
        {
            // per-head outputs (B,T,NH,C), then attn_out = Σ_h result + b_O
            var heads = ws.Result;
            _dev.HeadResult(N * H * C, heads.View, ws.Z.View, W(lw.AttnOutWeight), H, D);
            Fire(tap.Hooks, HookPoint.Result, l, heads, tap.Batch);
            _dev.SumHeads(N * C, ws.AttnOut.View, heads.View, W(lw.AttnOutBias), H, C);
        }
        _block.AttentionOutput(rows, l, tap, attnOutWritten: result);
        _block.Mlp(rows, l, tap);
    }

    // the block's taps fire the hooks registered at that point on the workspace tensor that holds it (and, in
    // RunOnDevice, keep a device copy of it)
    private sealed class HookTap(IlgpuForward forward, DeviceWorkspace ws, TokenBatch batch, HookRegistry hooks) : IDeviceBlockTap
    {
        public HookRegistry Hooks => hooks;
        public TokenBatch Batch => batch;
        public void After(HookPoint point, int layer)
        {
            if (hooks.Active(point, layer) || forward._retain is not null) forward.Fire(hooks, point, layer, ws.Holding(point), batch);
        }
    }

    // final LayerNorm then the tied unembedding: logits (B,P,V) = ln_f(x)·wteᵀ at P positions
    private Tensor Unembed(DeviceWorkspace ws, TokenBatch batch, LogitsMode mode, HookRegistry hooks)
    {
        int B = ws.B, T = ws.T, C = _cfg.DModel, V = _cfg.VocabSize;
        bool lastOnly = mode == LogitsMode.LastPosition;
        ArrayView<float> normalized;
        if (lastOnly && !hooks.Active(HookPoint.LnFinalScale) && !hooks.Active(HookPoint.LnFinalNormalized))
        {
            // only the B last rows: the LayerNorm and the unembedding skip T-1 positions
            _dev.GatherLast(B * C, ws.Last.View, ws.Resid.View, T, C);
            _dev.LayerNormScale(B, ws.Centered.View, ws.Scale.View, ws.Last.View, C, _cfg.LayerNormEps);
            _dev.LayerNormNormalize(B * C, ws.LnOut.View, ws.Centered.View, ws.Scale.View, W(_w.LnFinalWeight), W(_w.LnFinalBias), C);
            normalized = ws.LnOut.View.SubView(0, B * C);
        }
        else
        {
            _block.LayerNormStep(ws.Rows, B * T, _w.LnFinalWeight, _w.LnFinalBias, HookPoint.LnFinalScale, HookPoint.LnFinalNormalized, -1, new HookTap(this, ws, batch, hooks));
            if (lastOnly)
            {
                _dev.GatherLast(B * C, ws.Last.View, ws.LnOut.View, T, C);
                normalized = ws.Last.View;
            }
            else normalized = ws.LnOut.View;
        }
        int p = lastOnly ? 1 : T;
        using var logits = _dev.Allocate((long)B * p * V);
        _dev.MatMul(logits.View, normalized, W(_w.TokenEmbedding), null, B * p, V, C, C, C, V, transB: true);
        var host = Tensor.Zeros(B, p, V);
        _dev.Accelerator.Synchronize();
        logits.View.CopyToCPU(host.Data);
        return host;
    }

    // hooks see (and may edit) a host copy; it goes back to the device afterwards. RunOnDevice keeps a device copy.
    private void Fire(HookRegistry hooks, HookPoint point, int layer, DeviceTensor activation, TokenBatch batch)
    {
        if (hooks.Active(point, layer))
        {
            var host = activation.Download();
            hooks.Fire(point, layer, host, batch);
            activation.Buffer.View.CopyFromCPU(host.Data);
        }
        _retain?.Keep(point, layer, activation);
    }

    public void Dispose()
    {
        _ws?.Dispose();
        _weights.Dispose();
    }
}

/// <summary>A device buffer with the TransformerLens shape its hook sees.</summary>
internal sealed class DeviceTensor(IlgpuDevice device, params int[] shape) : IDisposable
{
    public int[] Shape { get; } = shape;
    public MemoryBuffer1D<float, Stride1D.Dense> Buffer { get; } = device.Allocate(Tensor.ElementCount(shape));
    public ArrayView<float> View => Buffer.View;

    public Tensor Download()
    {
        var host = Tensor.Zeros(Shape);
        device.Accelerator.Synchronize();
        Buffer.View.CopyToCPU(host.Data);
        return host;
    }

    public void Dispose() => Buffer.Dispose();
}

/// <summary>The device activation arena of one (B,T) shape, reused across layers and calls (ForwardWorkspace's twin).</summary>
internal sealed class DeviceWorkspace : IDisposable
{
    private readonly IlgpuDevice _dev;
    private readonly Gpt2Config _cfg;
    private readonly List<DeviceTensor> _all = [];
    private DeviceTensor? _result;
    private DeviceBlockRows? _rows;

    public int B { get; }
    public int T { get; }
    public DeviceTensor Resid, Embed, PosEmbed, Centered, Scale, LnOut, Qkv, Q, K, V, Scores, Pattern, Z, AttnOut, MlpPre, MlpPost, MlpOut, Last;
    public MemoryBuffer1D<int, Stride1D.Dense> Ids, PosIds, PadLeft;

    public DeviceWorkspace(IlgpuDevice dev, Gpt2Config cfg, int b, int t)
    {
        _dev = dev; _cfg = cfg; B = b; T = t;
        int C = cfg.DModel, H = cfg.NHeads, D = cfg.DHead, M = cfg.DMlp;
        DeviceTensor New(params int[] shape) { var d = new DeviceTensor(dev, shape); _all.Add(d); return d; }
        Resid = New(b, t, C); Embed = New(b, t, C); PosEmbed = New(b, t, C); Centered = New(b, t, C); Scale = New(b, t, 1); LnOut = New(b, t, C);
        Qkv = New(b, t, 3 * C); Q = New(b, t, H, D); K = New(b, t, H, D); V = New(b, t, H, D);
        Scores = New(b, H, t, t); Pattern = New(b, H, t, t); Z = New(b, t, H, D); AttnOut = New(b, t, C);
        MlpPre = New(b, t, M); MlpPost = New(b, t, M); MlpOut = New(b, t, C); Last = New(b, 1, C);
        Ids = dev.Accelerator.Allocate1D<int>(b * t);
        PosIds = dev.Accelerator.Allocate1D<int>(b * t);
        PadLeft = dev.Accelerator.Allocate1D<int>(b);
    }

    /// <summary>The buffers as the device block's rows (all B·T positions).</summary>
    public DeviceBlockRows Rows => _rows ??= new DeviceBlockRows
    {
        Count = B * T, Resid = Resid.View, Centered = Centered.View, Scale = Scale.View, LnOut = LnOut.View, Qkv = Qkv.View,
        Q = Q.View, K = K.View, V = V.View, Scores = Scores.View, Pattern = Pattern.View, Z = Z.View, AttnOut = AttnOut.View,
        MlpPre = MlpPre.View, MlpPost = MlpPost.View, MlpOut = MlpOut.View,
    };

    /// <summary>The tensor a hook point's activation is in after the block step that writes it.</summary>
    public DeviceTensor Holding(HookPoint point) => point switch
    {
        HookPoint.ResidPre or HookPoint.ResidMid or HookPoint.ResidPost => Resid,
        HookPoint.Ln1Scale or HookPoint.Ln2Scale or HookPoint.LnFinalScale => Scale,
        HookPoint.Ln1Normalized or HookPoint.Ln2Normalized or HookPoint.LnFinalNormalized => LnOut,
        HookPoint.Q => Q, HookPoint.K => K, HookPoint.V => V, HookPoint.AttnScores => Scores, HookPoint.Pattern => Pattern, HookPoint.Z => Z,
        HookPoint.Result => Result, HookPoint.AttnOut => AttnOut, HookPoint.MlpPre => MlpPre, HookPoint.MlpPost => MlpPost, HookPoint.MlpOut => MlpOut,
        HookPoint.Embed => Embed, HookPoint.PosEmbed => PosEmbed,
        _ => throw new ArgumentOutOfRangeException(nameof(point), point, null),
    };

    /// <summary>Per-head outputs (B,T,NH,C), only allocated when hook_result is used.</summary>
    public DeviceTensor Result => _result ??= new DeviceTensor(_dev, B, T, _cfg.NHeads, _cfg.DModel);

    public long Bytes => _all.Sum(d => d.Buffer.LengthInBytes) + (_result?.Buffer.LengthInBytes ?? 0) + Ids.LengthInBytes + PosIds.LengthInBytes + PadLeft.LengthInBytes;

    public void Dispose()
    {
        foreach (var d in _all) d.Dispose();
        _result?.Dispose();
        Ids.Dispose(); PosIds.Dispose(); PadLeft.Dispose();
    }
}
