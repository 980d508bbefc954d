// Causal attention for rows computed on top of a cached key/value prefix (a KV cache): the queries of
// positions start..T−1 of a sequence attend to the cached keys/values of positions before start and to
// their own rows' keys/values from start on. Several such row groups are stacked in one matrix.
// Rows are left-padded as in Attention: keys before padLeft are masked.
using System.Numerics.Tensors;

namespace CircuitLens.Tensors.Kernels;

public static unsafe partial class Attention
{
    /// <summary>
    /// Group g covers positions start[g]..T−1 of sequence seq[g], stacked from row rowOffset[g] of qkv (R, 3·NH·HS: q | k | v
    /// per row). Keys/values before start[g] come from kPrefix/vPrefix (B,T,NH,HS) at sequence seq[g]; padLeft is per sequence.
    /// Writes z (R,NH·HS) and, when pattern is not empty, each row's weights (R,NH,T) over all T key positions, zero where masked.
    /// </summary>
    public static void PrefixedForward(Span<float> z, Span<float> pattern, ReadOnlySpan<float> qkv, ReadOnlySpan<float> kPrefix, ReadOnlySpan<float> vPrefix,
        ReadOnlySpan<int> seq, ReadOnlySpan<int> start, ReadOnlySpan<int> rowOffset, ReadOnlySpan<int> padLeft, int groups, int T, int NH, int HS)
    {
        int C = NH * HS, C3 = 3 * C;
        int zLen = z.Length, qkvLen = qkv.Length, prefixLen = kPrefix.Length;
        bool recordPattern = !pattern.IsEmpty;
        float scale = 1f / MathF.Sqrt(HS);
        fixed (float* pz = z) fixed (float* ppat = pattern) fixed (float* pqkv = qkv) fixed (float* pkc = kPrefix) fixed (float* pvc = vPrefix)
        fixed (int* pseq = seq) fixed (int* pstart = start) fixed (int* poff = rowOffset) fixed (int* ppad = padLeft)
        {
            float* zp = pz, patp = ppat, qkvp = pqkv, kc = pkc, vc = pvc;
            int* sq = pseq, st = pstart, off = poff, pads = ppad;
            For(groups * NH, (long)T * T * HS * 2, gh =>
            {
                int g = gh / NH, h = gh % NH;
                int b = sq[g], s = st[g], r0 = off[g], pad = pads[b];
                Span<float> scores = stackalloc float[T];
                var zs = new Span<float>(zp, zLen);
                var q3 = new ReadOnlySpan<float>(qkvp, qkvLen);
                var kcs = new ReadOnlySpan<float>(kc, prefixLen);
                var vcs = new ReadOnlySpan<float>(vc, prefixLen);
                for (int i = 0; i < T - s; i++)
                {
                    int t = s + i;
                    var q = q3.Slice((r0 + i) * C3 + h * HS, HS);
                    int nk = t + 1 - pad;
                    for (int j = pad; j <= t; j++)
                    {
                        var key = j < s ? kcs.Slice(((b * T + j) * NH + h) * HS, HS)
                                        : q3.Slice((r0 + j - s) * C3 + C + h * HS, HS);
                        scores[j - pad] = TensorPrimitives.Dot(q, key) * scale;
                    }
                    var sc = scores.Slice(0, nk);
                    SoftmaxForward(sc, sc, 1, nk);
                    if (recordPattern)
                    {
                        var weights = new Span<float>(patp + ((long)(r0 + i) * NH + h) * T, T);
                        weights.Clear();
                        sc.CopyTo(weights.Slice(pad));
                    }
                    var zrow = zs.Slice((r0 + i) * C + h * HS, HS);
                    zrow.Clear();
                    for (int j = pad; j <= t; j++)
                    {
                        var val = j < s ? vcs.Slice(((b * T + j) * NH + h) * HS, HS)
                                        : q3.Slice((r0 + j - s) * C3 + 2 * C + h * HS, HS);
                        TensorPrimitives.MultiplyAdd(val, scores[j - pad], zrow, zrow);
                    }
                }
            });
        }
    }
}
