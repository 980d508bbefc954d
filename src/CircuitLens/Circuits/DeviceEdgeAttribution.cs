// EdgeAttribution's scores (EAP, EAP-IG) on an ILGPU device: the same graph, rows and formula as the
// host path (EdgeAttribution.Accumulate), with the clean, corrupted and interpolated runs kept on the
// device (IlgpuForward.RunOnDevice), the backward passes there (IlgpuBackward), and, chunk by chunk of
// rows, the sender block S (senders, rows·C: Δembeddings, Δmlp_out, Δz_h·W_O[h]) and the receiver block
// G (receivers, rows·C: each receiver's input gradient through its LayerNorm, or the metric's gradient
// at the final rows) built from row gathers, GEMMs and the LayerNorm backward kernel, then S·Gᵀ.
// What crosses the bus: the (B,C) final rows and seeds, EAP-IG's (B,T,C) embeddings (its hooks mix them
// on the host), the chunk's row indices and logits block, and the (senders × receivers) product.
using ILGPU;
using ILGPU.Runtime;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Patching;

namespace CircuitLens.Circuits;

internal static class DeviceEdgeAttribution
{
    /// <summary>Adds every edge's score (mean over pairs and runs) into <paramref name="scores"/> [sender, receiver].</summary>
    public static void Score(IlgpuForward forward, PatchingBatch data, List<GraphNode> senders, List<GraphReceiver> receivers,
        List<(int B, int T)> rows, int rowsPerChunk, EdgeMethod method, int runs, double[,] scores, CancellationToken ct)
    {
        var dev = forward.Device;
        int L = forward.Weights.Config.NLayers;
        using var clean = new DeviceActivations(dev, EdgeAttribution.RunNeeds(L));
        using var corrupt = new DeviceActivations(dev, n => EdgeAttribution.SenderOutput(n, L));
        forward.RunOnDevice(data.Clean, clean);
        forward.RunOnDevice(data.Corrupt, corrupt);
        ActivationCache? hostEmbeddings = null, hostCorruptEmbeddings = null;
        for (int k = 0; k < runs; k++)
        {
            ct.ThrowIfCancellationRequested();
            DeviceActivations? interpolated = null;
            try
            {
                if (method == EdgeMethod.EapIg)
                {
                    hostEmbeddings ??= Embeddings(clean);
                    hostCorruptEmbeddings ??= Embeddings(corrupt);
                    interpolated = new DeviceActivations(dev, n => Gpt2Backward.NeedsInCache(n, L));   // its backward pass and receivers read only these
                    var hooks = new HookRegistry(L, EdgeAttribution.InterpolationHooks(hostEmbeddings, hostCorruptEmbeddings, EdgeAttribution.Alpha(k, runs)));
                    forward.RunOnDevice(data.Clean, interpolated, hooks);
                }
                var run = interpolated ?? clean;
                var lastRows = dev.DownloadLastRows(run[HookPoint.ResidPost, L - 1]);
                var dFinal = new float[lastRows.Length];
                data.Metric.Gradient(forward.Weights, Enumerable.Range(0, data.Count).ToArray(), lastRows, dFinal);
                using var grads = IlgpuBackward.Gradients(forward, data.Clean, run, dFinal, EdgeAttribution.GradientNeeded(L));
                new Blocks(forward, data, senders, receivers, rowsPerChunk).Accumulate(rows, clean, corrupt, run, grads, dFinal, scores, 1.0 / (runs * data.Count), ct);
            }
            finally { interpolated?.Dispose(); }
        }
    }

    private static ActivationCache Embeddings(DeviceActivations acts)
    {
        var cache = new ActivationCache();
        foreach (var p in new[] { HookPoint.Embed, HookPoint.PosEmbed }) cache.Set(HookNames.Name(p), acts[HookNames.Name(p)].Download());
        return cache;
    }

    private static ArrayView<float> Tail(ArrayView<float> view, long from) => view.SubView(from, view.Length - from);

    // The device buffers of one chunk of rows: S (senders, n·C), G (receivers, n·C) and their scratch.
    private sealed class Blocks(IlgpuForward forward, PatchingBatch data, List<GraphNode> senders, List<GraphReceiver> receivers, int chunk)
    {
        private readonly IlgpuDevice _dev = forward.Device;
        private readonly Gpt2Weights _w = forward.Weights;

        public void Accumulate(List<(int B, int T)> rows, DeviceActivations clean, DeviceActivations corrupt, DeviceActivations run,
            DeviceActivations grads, float[] dFinal, double[,] scores, double weight, CancellationToken ct)
        {
            var cfg = _w.Config;
            int C = cfg.DModel, D = cfg.DHead, M = cfg.DMlp, T = data.SeqLen, nS = senders.Count, nR = receivers.Count;
            using var S = _dev.Allocate((long)nS * chunk * C);
            using var G = _dev.Allocate((long)nR * chunk * C);
            using var product = _dev.Allocate((long)nS * nR);
            using var delta = _dev.Allocate((long)chunk * C);
            using var gathered = _dev.Allocate((long)chunk * Math.Max(C, M));
            using var dLn = _dev.Allocate((long)chunk * C);
            using var x = _dev.Allocate((long)chunk * C);
            using var dScale = _dev.Allocate(chunk);
            using var index = _dev.Accelerator.Allocate1D<int>(chunk);
            var host = new float[nS * nR];
            for (int start = 0; start < rows.Count; start += chunk)
            {
                ct.ThrowIfCancellationRequested();
                int n = Math.Min(chunk, rows.Count - start), width = n * C;
                var ids = new int[chunk];
                for (int i = 0; i < n; i++) ids[i] = rows[start + i].B * T + rows[start + i].T;
                index.View.CopyFromCPU(ids);
                _dev.NoteTransfer(ids.Length * sizeof(int), 0);
                var idx = index.View.SubView(0, n);
                G.MemSetToZero();   // the LayerNorm backward adds into it

                // senders: Δ of what each writes into the residual stream
                for (int s = 0; s < nS; s++)
                {
                    var u = senders[s];
                    var dst = S.View.SubView((long)s * width, width);
                    if (u.IsInput)
                    {
                        _dev.GatherRowsDifference(width, dst, corrupt["hook_embed"].View, clean["hook_embed"].View, idx, C);
                        _dev.GatherRowsDifference(width, delta.View, corrupt["hook_pos_embed"].View, clean["hook_pos_embed"].View, idx, C);
                        _dev.Add(width, dst, dst, delta.View);
                    }
                    else if (u.IsMlp) _dev.GatherRowsDifference(width, dst, corrupt[HookPoint.MlpOut, u.Layer].View, clean[HookPoint.MlpOut, u.Layer].View, idx, C);
                    else
                    {
                        // Δz of all heads (n,C) once per layer's first head; head h's rows times W_O[h] (HS,C)
                        if (u.Head == 0) _dev.GatherRowsDifference(width, delta.View, corrupt[HookPoint.Z, u.Layer].View, clean[HookPoint.Z, u.Layer].View, idx, C);
                        var wo = forward.Param(_w.Layers[u.Layer].AttnOutWeight).SubView((long)u.Head * D * C, (long)D * C);
                        _dev.MatMul(dst, delta.View.SubView(u.Head * D, delta.Length - u.Head * D), wo, null, n, C, D, C, C, C, transB: false);
                    }
                }

                // receivers: ∂metric/∂(residual as the receiver reads it), through its LayerNorm
                for (int r = 0; r < nR; r++)
                {
                    var v = receivers[r];
                    var dst = G.View.SubView((long)r * width, width);
                    if (v.IsLogits)
                    {
                        var block = new float[width];
                        for (int i = 0; i < n; i++)
                            if (rows[start + i].T == T - 1) dFinal.AsSpan(rows[start + i].B * C, C).CopyTo(block.AsSpan(i * C, C));
                        dst.CopyFromCPU(block);
                        _dev.NoteTransfer(block.Length * sizeof(float), 0);
                        continue;
                    }
                    int l = v.Node.Layer;
                    var lw = _w.Layers[l];
                    if (v.Node.IsMlp)
                    {
                        _dev.GatherRows(n * M, gathered.View, grads[HookPoint.MlpPre, l].View, idx, M);
                        _dev.MatMul(dLn.View, gathered.View, forward.Param(lw.MlpInWeight), null, n, C, M, M, M, C, transB: true);
                        _dev.GatherRows(width, x.View, run[HookPoint.ResidMid, l].View, idx, C);
                        _dev.LayerNormBackward(n, dst, dScale.View, dLn.View, x.View, forward.Param(lw.Ln2Weight), C, cfg.LayerNormEps);
                    }
                    else
                    {
                        int h = v.Node.Head, column = (v.Input - HookPoint.Q) * C + h * D;
                        // the receiver's q/k/v gradient rows (n,C); head h's HS columns times W_qkv's
                        _dev.GatherRows(width, gathered.View, grads[v.Input, l].View, idx, C);
                        _dev.MatMul(dLn.View, gathered.View.SubView(h * D, gathered.Length - h * D), Tail(forward.Param(lw.QkvWeight), column), null, n, C, D, C, 3 * C, C, transB: true);
                        _dev.GatherRows(width, x.View, run[HookPoint.ResidPre, l].View, idx, C);
                        _dev.LayerNormBackward(n, dst, dScale.View, dLn.View, x.View, forward.Param(lw.Ln1Weight), C, cfg.LayerNormEps);
                    }
                }
                // product (nS,nR) = S (nS, n·C) · G (nR, n·C)ᵀ
                _dev.MatMul(product.View, S.View, G.View, null, nS, nR, width, width, width, nR, transB: true);
                _dev.Accelerator.Synchronize();
                product.View.CopyToCPU(host);
                _dev.NoteTransfer(0, host.Length * sizeof(float));
                for (int s = 0; s < nS; s++)
                    for (int r = 0; r < nR; r++) scores[s, r] += weight * host[s * nR + r];
            }
        }
    }
}
