// Edge attribution patching (EAP, Syed et al. 2023) and its integrated-gradients variant (EAP-IG,
// Hanna et al. 2024). The graph: senders = the input embeddings, every head's output and every MLP's
// output; receivers = every later head's q, k and v input, every MLP input at or after the sender's
// layer (heads feed their own layer's MLP), and the logits. An edge's score estimates the change of
// the metric when the sender's output, along that edge only, goes from its clean to its corrupted value:
//   score(u → v) = mean over pairs of Σ_positions (out_u^corrupt − out_u^clean) · ∂metric/∂in_v,
// where in_v is the residual stream as receiver v reads it (its own LayerNorm included), and the
// gradient is taken on the clean run (EAP) or averaged over runs whose input embeddings are
// clean + α(corrupt − clean), α at the midpoints of `steps` equal intervals (EAP-IG). Summed over all
// receivers, a sender's edge scores are its node attribution Δout_u · ∂metric/∂resid (tested).
// On an ILGPU device the same computation runs in DeviceEdgeAttribution (runs, backward passes and the
// sender × receiver products on the device); the graph, rows and scaling are defined here once.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Circuits;

public enum EdgeMethod { Eap, EapIg }

/// <summary>A node of the graph: the input, a head, or an MLP (Head = -1), as written in edge files ("input", "9.9", "mlp8").</summary>
public readonly record struct GraphNode(int Layer, int Head)
{
    public static GraphNode Input => new(-1, -1);
    public bool IsInput => Layer < 0;
    public bool IsMlp => Layer >= 0 && Head < 0;
    public override string ToString() => IsInput ? "input" : IsMlp ? $"mlp{Layer}" : $"{Layer}.{Head}";
}

/// <summary>A receiver: a head's q/k/v input, an MLP's input, or the logits.</summary>
public readonly record struct GraphReceiver(GraphNode Node, HookPoint Input, bool IsLogits)
{
    public static GraphReceiver Logits => new(GraphNode.Input, HookPoint.ResidPost, true);
    public override string ToString() => IsLogits ? "logits" : Node.IsMlp ? Node.ToString() : $"{Node}:{Input.ToString().ToLowerInvariant()}";
}

public sealed record EdgeScore(GraphNode Sender, GraphReceiver Receiver, double Score);

public sealed class EdgeAttributionResult(IReadOnlyList<GraphNode> senders, IReadOnlyList<GraphReceiver> receivers, double[,] scores, EdgeMethod method, int steps)
{
    public IReadOnlyList<GraphNode> Senders { get; } = senders;
    public IReadOnlyList<GraphReceiver> Receivers { get; } = receivers;
    /// <summary>[sender, receiver]; NaN where there is no edge (the receiver is not downstream of the sender).</summary>
    public double[,] Scores { get; } = scores;
    public EdgeMethod Method { get; } = method;
    public int Steps { get; } = steps;

    public IEnumerable<EdgeScore> Edges()
    {
        for (int s = 0; s < Senders.Count; s++)
            for (int r = 0; r < Receivers.Count; r++)
                if (!double.IsNaN(Scores[s, r])) yield return new EdgeScore(Senders[s], Receivers[r], Scores[s, r]);
    }

    /// <summary>Edges by |score|, largest first.</summary>
    public IReadOnlyList<EdgeScore> Ranked() => Edges().OrderByDescending(e => Math.Abs(e.Score)).ToList();
}

public static class EdgeAttribution
{
    public static EdgeAttributionResult Run(HookedTransformer model, PatchingBatch data, EdgeMethod method = EdgeMethod.Eap, int steps = 5,
        int rowsPerChunk = 32, CancellationToken ct = default)
    {
        if (method == EdgeMethod.EapIg && steps < 1) throw new CircuitLensException("EAP-IG needs --steps ≥ 1");
        var cfg = model.Config;
        int B = data.Count, T = data.SeqLen, L = cfg.NLayers, H = cfg.NHeads, C = cfg.DModel, D = cfg.DHead;
        var senders = new List<GraphNode> { GraphNode.Input };
        for (int l = 0; l < L; l++) { for (int h = 0; h < H; h++) senders.Add(new GraphNode(l, h)); senders.Add(new GraphNode(l, -1)); }
        var receivers = new List<GraphReceiver>();
        for (int l = 0; l < L; l++)
        {
            for (int h = 0; h < H; h++)
                foreach (var p in new[] { HookPoint.Q, HookPoint.K, HookPoint.V }) receivers.Add(new GraphReceiver(new GraphNode(l, h), p, false));
            receivers.Add(new GraphReceiver(new GraphNode(l, -1), HookPoint.MlpPre, false));
        }
        receivers.Add(GraphReceiver.Logits);

        // the rows where anything differs: from each pair's first differing token on (earlier rows are identical)
        var first = new int[B];
        var rows = new List<(int B, int T)>();
        for (int b = 0; b < B; b++)
        {
            first[b] = Math.Min(T - 1, data.PadLeft(b) + data.FirstDifference[b]);
            for (int t = first[b]; t < T; t++) rows.Add((b, t));
        }

        var scores = new double[senders.Count, receivers.Count];
        int runs = method == EdgeMethod.Eap ? 1 : steps;
        // on an ILGPU device the runs, the backward passes and the sender × receiver products stay there (DeviceEdgeAttribution)
        if (model.IlgpuBackend is { } device)
            DeviceEdgeAttribution.Score(device, data, senders, receivers, rows, rowsPerChunk, method, runs, scores, ct);
        else
        {
            var (clean, corrupt) = CleanAndCorruptCaches(model, data, out var cleanRun);
            for (int k = 0; k < runs; k++)
            {
                ct.ThrowIfCancellationRequested();
                var (run, cache) = method == EdgeMethod.Eap ? (cleanRun, clean) : Interpolated(model, data, clean, corrupt, Alpha(k, runs), RunNeeds(L));
                var dFinal = data.Metric.FinalResidualGradient(model.Weights, run.Residual);
                var grads = Gpt2Backward.Gradients(model, data.Clean, cache, dFinal, GradientNeeded(L), first);
                Accumulate(model, data, senders, receivers, rows, rowsPerChunk, clean, corrupt, cache, grads, dFinal, scores, 1.0 / (runs * B), ct);
            }
        }
        for (int s = 0; s < senders.Count; s++)
            for (int r = 0; r < receivers.Count; r++)
                if (!Downstream(senders[s], receivers[r])) scores[s, r] = double.NaN;
        return new EdgeAttributionResult(senders, receivers, scores, method, runs);
    }

    /// <summary>Whether receiver v reads the residual stream after sender u writes it.</summary>
    public static bool Downstream(GraphNode u, GraphReceiver v)
    {
        if (v.IsLogits || u.IsInput) return true;
        if (v.Node.IsMlp) return u.IsMlp ? u.Layer < v.Node.Layer : u.Layer <= v.Node.Layer;
        return u.Layer < v.Node.Layer;
    }

    // what the clean (or interpolated) run keeps: the senders' outputs, the embeddings and what the backward pass reads
    internal static Func<string, bool> RunNeeds(int nLayers) => n => SenderOutput(n, nLayers) || Gpt2Backward.NeedsInCache(n, nLayers);

    // the senders' outputs (z, mlp_out) and the input embeddings: what the corrupted run keeps
    internal static bool SenderOutput(string name, int nLayers) =>
        HookNames.TryParse(name, nLayers, out var p, out _) && p is HookPoint.Z or HookPoint.MlpOut or HookPoint.Embed or HookPoint.PosEmbed;

    // the receivers' input gradients: q, k, v and the MLP's input
    internal static Func<string, bool> GradientNeeded(int nLayers) =>
        n => HookNames.TryParse(n, nLayers, out var p, out _) && p is HookPoint.Q or HookPoint.K or HookPoint.V or HookPoint.MlpPre;

    // EAP-IG's run k of `runs`: the midpoint of the k-th of equal intervals
    internal static double Alpha(int k, int runs) => (k + 0.5) / runs;

    private static (ActivationCache Clean, ActivationCache Corrupt) CleanAndCorruptCaches(HookedTransformer model, PatchingBatch data, out ForwardResult cleanRun)
    {
        int L = model.Config.NLayers;
        var none = new ForwardOptions { Logits = LogitsMode.None };
        (cleanRun, var clean) = model.RunWithCache(data.Clean, RunNeeds(L), none);
        var (_, corrupt) = model.RunWithCache(data.Corrupt, n => SenderOutput(n, L), none);
        return (clean, corrupt);
    }

    // a clean run whose embeddings are clean + α(corrupt − clean)
    private static (ForwardResult, ActivationCache) Interpolated(HookedTransformer model, PatchingBatch data, ActivationCache clean, ActivationCache corrupt,
        double alpha, Func<string, bool> keep)
        => model.RunWithCache(data.Clean, keep, new ForwardOptions { Logits = LogitsMode.None }, InterpolationHooks(clean, corrupt, alpha));

    // hooks that set hook_embed and hook_pos_embed to clean + α(corrupt − clean), from caches holding both
    internal static NamedHook[] InterpolationHooks(ActivationCache clean, ActivationCache corrupt, double alpha)
    {
        NamedHook Mix(HookPoint p) => new(HookNames.Name(p), (act, _) =>
        {
            var c = clean[HookNames.Name(p)].Span; var x = corrupt[HookNames.Name(p)].Span; var a = act.Span;
            for (int i = 0; i < a.Length; i++) a[i] = c[i] + (float)alpha * (x[i] - c[i]);
        });
        return [Mix(HookPoint.Embed), Mix(HookPoint.PosEmbed)];
    }

    // scores[s, r] += weight · Σ_rows Δ_s(row) · g_r(row), chunk by chunk: S (senders, rows·C) times G (receivers, rows·C)ᵀ
    private static void Accumulate(HookedTransformer model, PatchingBatch data, List<GraphNode> senders, List<GraphReceiver> receivers,
        List<(int B, int T)> rows, int chunk, ActivationCache clean, ActivationCache corrupt, ActivationCache run, ActivationGradients grads,
        float[] dFinal, double[,] scores, double weight, CancellationToken ct)
    {
        var w = model.Weights; var cfg = model.Config;
        int C = cfg.DModel, D = cfg.DHead, H = cfg.NHeads, M = cfg.DMlp, T = data.SeqLen, nS = senders.Count, nR = receivers.Count;
        var S = new float[nS * chunk * C];
        var G = new float[nR * chunk * C];
        var product = new float[nS * nR];
        var dz = new float[chunk * C]; var dIn = new float[chunk * M]; var dLn = new float[chunk * C]; var x = new float[chunk * C];
        for (int start = 0; start < rows.Count; start += chunk)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(chunk, rows.Count - start), width = n * C;
            Array.Clear(S); Array.Clear(G);
            // senders: Δ of what each writes into the residual stream
            for (int s = 0; s < nS; s++)
            {
                var u = senders[s];
                var dst = S.AsSpan(s * width, width);
                for (int i = 0; i < n; i++)
                {
                    var (b, t) = rows[start + i];
                    var row = dst.Slice(i * C, C);
                    if (u.IsInput)
                    {
                        foreach (var p in new[] { HookPoint.Embed, HookPoint.PosEmbed })
                        {
                            TensorPrimitives.Add(row, corrupt[HookNames.Name(p)].Slice(b, t), row);
                            TensorPrimitives.Subtract(row, clean[HookNames.Name(p)].Slice(b, t), row);
                        }
                    }
                    else if (u.IsMlp)
                    {
                        TensorPrimitives.Subtract(corrupt[HookPoint.MlpOut, u.Layer].Slice(b, t), clean[HookPoint.MlpOut, u.Layer].Slice(b, t), row);
                    }
                    else TensorPrimitives.Subtract(corrupt[HookPoint.Z, u.Layer].Slice(b, t, u.Head), clean[HookPoint.Z, u.Layer].Slice(b, t, u.Head), dz.AsSpan(i * D, D));
                }
                if (!u.IsInput && !u.IsMlp)
                    Gemm.MatMul(dst, dz.AsSpan(0, n * D), w.Read(w.Layers[u.Layer].AttnOutWeight).Slice(u.Head * D * C, D * C), n, D, C);
            }
            // receivers: ∂metric/∂(residual as the receiver reads it), through its LayerNorm
            for (int r = 0; r < nR; r++)
            {
                var v = receivers[r];
                var dst = G.AsSpan(r * width, width);
                if (v.IsLogits)
                {
                    for (int i = 0; i < n; i++)
                        if (rows[start + i].T == T - 1) dFinal.AsSpan(rows[start + i].B * C, C).CopyTo(dst.Slice(i * C, C));
                    continue;
                }
                int l = v.Node.Layer;
                var lw = w.Layers[l];
                if (v.Node.IsMlp)
                {
                    var g = grads[HookPoint.MlpPre, l];
                    for (int i = 0; i < n; i++) g.Slice(rows[start + i].B, rows[start + i].T).CopyTo(dIn.AsSpan(i * M, M));
                    Gemm.MatMulTransB(dLn.AsSpan(0, width), C, dIn.AsSpan(0, n * M), M, w.Read(lw.MlpInWeight), M, n, M, C);
                    Gather(run[HookPoint.ResidMid, l], rows, start, n, x);
                    LayerNorm.Backward(dst, Span<float>.Empty, dLn.AsSpan(0, width), x.AsSpan(0, width), w.Read(lw.Ln2Weight), n, C, cfg.LayerNormEps);
                }
                else
                {
                    var g = grads[v.Input, l];
                    int h = v.Node.Head, column = (v.Input - HookPoint.Q) * C + h * D;
                    for (int i = 0; i < n; i++) g.Slice(rows[start + i].B, rows[start + i].T, h).CopyTo(dz.AsSpan(i * D, D));
                    Gemm.MatMulTransB(dLn.AsSpan(0, width), C, dz.AsSpan(0, n * D), D, w.Read(lw.QkvWeight).Slice(column), 3 * C, n, D, C);
                    Gather(run[HookPoint.ResidPre, l], rows, start, n, x);
                    LayerNorm.Backward(dst, Span<float>.Empty, dLn.AsSpan(0, width), x.AsSpan(0, width), w.Read(lw.Ln1Weight), n, C, cfg.LayerNormEps);
                }
            }
            Gemm.MatMulTransB(product, nR, S, width, G, width, nS, width, nR);
            for (int s = 0; s < nS; s++)
                for (int r = 0; r < nR; r++) scores[s, r] += weight * product[s * nR + r];
        }
    }

    private static void Gather(Tensor t, List<(int B, int T)> rows, int start, int n, float[] dst)
    {
        int C = t.Dim(2);
        for (int i = 0; i < n; i++) t.Slice(rows[start + i].B, rows[start + i].T).CopyTo(dst.AsSpan(i * C, C));
    }
}
