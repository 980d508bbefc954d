// A batch of token sequences of possibly different lengths, LEFT-padded to a common length T so
// that the last position of every row is the prediction position. Pads are masked out of attention
// and real tokens keep position ids 0..len-1, so a padded row computes the same numbers as the
// sequence run alone.
namespace CircuitLens.Model;

public sealed class TokenBatch
{
    public const int PadTokenId = 50256;

    /// <summary>Token ids (B,T), row-major, pads first.</summary>
    public int[] Ids { get; }
    /// <summary>Real length of each row.</summary>
    public int[] Lengths { get; }
    public int BatchSize { get; }
    public int SeqLen { get; }

    private TokenBatch(int[] ids, int[] lengths, int seqLen)
    {
        Ids = ids; Lengths = lengths; BatchSize = lengths.Length; SeqLen = seqLen;
    }

    public static TokenBatch FromSequences(IReadOnlyList<int[]> sequences)
    {
        if (sequences.Count == 0) throw new CircuitLensException("empty batch: no sequences to run");
        int t = 0;
        for (int b = 0; b < sequences.Count; b++)
        {
            if (sequences[b].Length == 0) throw new CircuitLensException($"sequence {b} is empty (no tokens)");
            t = Math.Max(t, sequences[b].Length);
        }
        var ids = new int[sequences.Count * t];
        var lengths = new int[sequences.Count];
        for (int b = 0; b < sequences.Count; b++)
        {
            var s = sequences[b];
            lengths[b] = s.Length;
            int pad = t - s.Length;
            ids.AsSpan(b * t, pad).Fill(PadTokenId);
            s.CopyTo(ids.AsSpan(b * t + pad, s.Length));
        }
        return new TokenBatch(ids, lengths, t);
    }

    public static TokenBatch Single(int[] sequence) => FromSequences([sequence]);

    /// <summary>Number of pad positions at the start of row b.</summary>
    public int PadLeft(int b) => SeqLen - Lengths[b];

    /// <summary>Position id of (b,t): 0 for pads, then 0..len-1 for the real tokens.</summary>
    public int PositionId(int b, int t) => Math.Max(0, t - PadLeft(b));

    public bool IsPadded { get { foreach (int l in Lengths) if (l != SeqLen) return true; return false; } }

    /// <summary>The real tokens of row b (without pads).</summary>
    public ReadOnlySpan<int> Row(int b) => Ids.AsSpan(b * SeqLen + PadLeft(b), Lengths[b]);
}
