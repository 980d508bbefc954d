// Detectors for the IOI paper's head roles, on the clean prompts of logit-diff pairs (IO = the answer,
// S = the wrong token):
//   end→IO / end→S — mean attention from the last position to the IO token / to the S tokens;
//   copy score     — the paper's check_copy_circuit: at the IO, S1 and S2 positions, the residual
//                    stream after layer 0, through the head's ln_1 and OV circuit (W_V W_O, no biases),
//                    ln_f and the unembedding: how often the name is among the top-k tokens (k = 5);
//                    the negative copy score does the same with −OV (negative name movers).
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Patching.Metrics;
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;

namespace CircuitLens.Circuits;

public sealed record IoiRoleScores(Tensor EndToIo, Tensor EndToS, Tensor CopyScore, Tensor NegativeCopyScore);

public static class IoiHeadRoles
{
    public static IoiRoleScores Score(HookedTransformer model, PatchingBatch data, int topK = 5)
    {
        var ld = data.Metric as LogitDiffMetric ?? throw new CircuitLensException($"IOI role detectors need logit-diff pairs (answer = IO, wrong = S); these use {data.Metric.Name}");
        var cfg = model.Config;
        int B = data.Count, T = data.SeqLen, L = cfg.NLayers, H = cfg.NHeads, C = cfg.DModel, D = cfg.DHead, V = cfg.VocabSize;
        var (_, cache) = model.RunWithCache(data.Clean, n => n == HookNames.Name(HookPoint.ResidPost, 0) || (HookNames.TryParse(n, L, out var p, out _) && p == HookPoint.Pattern),
            new ForwardOptions { Logits = LogitsMode.None });
        var toIo = Tensor.Zeros(L, H); var toS = Tensor.Zeros(L, H);
        var rows = new List<(int Pair, int T, int Name)>();
        for (int b = 0; b < B; b++)
        {
            int pad = data.PadLeft(b), io = ld.AnswerIds[b], s = ld.WrongIds[b];
            var ids = data.Clean.Row(b);
            int seenS = 0;
            for (int p = 0; p < ids.Length - 1; p++)
            {
                if (ids[p] == io && !rows.Any(r => r.Pair == b && r.Name == io)) rows.Add((b, pad + p, io));
                if (ids[p] == s && seenS++ < 2) rows.Add((b, pad + p, s));
            }
            for (int l = 0; l < L; l++)
                for (int h = 0; h < H; h++)
                {
                    var a = cache[HookPoint.Pattern, l].Slice(b, h, T - 1);   // the last query's weights over keys
                    for (int t = pad; t < T - 1; t++)
                    {
                        if (data.Clean.Ids[b * T + t] == io) toIo[l, h] += a[t] / B;
                        else if (data.Clean.Ids[b * T + t] == s) toS[l, h] += a[t] / B;
                    }
                }
        }

        // copy scores: rows (N,C) of resid_post 0 at the name positions
        int N = rows.Count;
        var copy = Tensor.Zeros(L, H); var negative = Tensor.Zeros(L, H);
        if (N == 0) return new IoiRoleScores(toIo, toS, copy, negative);
        var w = model.Weights;
        var resid = cache[HookNames.Name(HookPoint.ResidPost, 0)];
        var x = new float[N * C];
        for (int i = 0; i < N; i++) resid.Slice(rows[i].Pair, rows[i].T).CopyTo(x.AsSpan(i * C, C));
        var centered = new float[N * C]; var scale = new float[N]; var ln = new float[N * C];
        var v = new float[N * D]; var o = new float[N * C]; var logits = new float[N * V];
        var wte = w.PackedTransposed(w.TokenEmbedding);
        for (int l = 0; l < L; l++)
        {
            var lw = w.Layers[l];
            LayerNorm.ScaleForward(centered, scale, x, N, C, cfg.LayerNormEps);
            LayerNorm.NormalizeForward(ln, centered, scale, w.Read(lw.Ln1Weight), w.Read(lw.Ln1Bias), N, C);
            var qkv = w.Read(lw.QkvWeight);   // (C, 3C); head h's value columns start at 2C + h·D
            var wo = w.Read(lw.AttnOutWeight);
            for (int h = 0; h < H; h++)
            {
                Gemm.MatMul(v, D, ln, C, qkv.Slice(2 * C + h * D), 3 * C, N, C, D);
                Gemm.MatMul(o, C, v, D, wo.Slice(h * D * C), C, N, D, C);
                for (int sign = 1; sign >= -1; sign -= 2)
                {
                    if (sign < 0) System.Numerics.Tensors.TensorPrimitives.Negate(o, o);
                    var normalized = new float[N * C];
                    FinalLayerNormRows(w, o, normalized, N);
                    Gemm.MatMul(logits, normalized, wte, N);
                    int hits = 0;
                    for (int i = 0; i < N; i++)
                    {
                        var row = logits.AsSpan(i * V, V);
                        int name = rows[i].Name;
                        float target = row[name];
                        int above = 0;   // ties count against the name: a head that writes nothing copies nothing
                        for (int t = 0; t < V; t++) if (t != name && row[t] >= target && ++above >= topK) break;
                        if (above < topK) hits++;
                    }
                    (sign > 0 ? copy : negative)[l, h] = (float)hits / N;
                }
            }
        }
        return new IoiRoleScores(toIo, toS, copy, negative);
    }

    private static void FinalLayerNormRows(Gpt2Weights w, ReadOnlySpan<float> rows, Span<float> normalized, int n)
    {
        int C = w.Config.DModel;
        var centered = new float[n * C]; var scale = new float[n];
        LayerNorm.ScaleForward(centered, scale, rows, n, C, w.Config.LayerNormEps);
        LayerNorm.NormalizeForward(normalized, centered, scale, w.Read(w.LnFinalWeight), w.Read(w.LnFinalBias), n, C);
    }
}
