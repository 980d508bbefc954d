// Where row (b, t) of a per-position activation or gradient lives, as named layouts instead of a flag:
//   PaddedRows:  (B,T,…) tensors, every position of every example (hook_pattern: (B,NH,T,T));
//   CompactRows: (R,…) rows holding only positions first[b]..T−1 of each example, stacked example by
//                example (hook_pattern: (R,NH,T)): the rows SuffixRunner runs and Gpt2Backward computes
//                when only the positions from each example's first differing token on matter.
namespace CircuitLens.Model;

public abstract class RowLayout
{
    protected RowLayout(int seqLen) { SeqLen = seqLen; }

    /// <summary>T: the padded sequence length.</summary>
    public int SeqLen { get; }

    /// <summary>Index of row (b, t) among the layout's rows (t in padded coordinates).</summary>
    public abstract int Row(int b, int t);

    /// <summary>Start of head h's pattern row (its weights over all T keys) at query t.</summary>
    public abstract int PatternRow(int b, int h, int t, int nHeads);

    /// <summary>Shape of an activation with per-row shape <paramref name="inner"/>.</summary>
    public abstract int[] Shape(params int[] inner);

    /// <summary>Shape of an attention pattern with <paramref name="nHeads"/> heads.</summary>
    public abstract int[] PatternShape(int nHeads);
}

/// <summary>(B,T,…): every position of every example.</summary>
public sealed class PaddedRows(int batchSize, int seqLen) : RowLayout(seqLen)
{
    public int BatchSize { get; } = batchSize;
    public override int Row(int b, int t) => b * SeqLen + t;
    public override int PatternRow(int b, int h, int t, int nHeads) => ((b * nHeads + h) * SeqLen + t) * SeqLen;
    public override int[] Shape(params int[] inner) => [BatchSize, SeqLen, .. inner];
    public override int[] PatternShape(int nHeads) => [BatchSize, nHeads, SeqLen, SeqLen];
}

/// <summary>(R,…): positions First[b]..T−1 of each example b, stacked; R = Σ_b (T − First[b]).</summary>
public sealed class CompactRows : RowLayout
{
    /// <summary>Per example, its first row (padded coordinates).</summary>
    public IReadOnlyList<int> First { get; }
    /// <summary>Per example, where its rows start.</summary>
    public IReadOnlyList<int> Offset { get; }
    /// <summary>R: the number of rows.</summary>
    public int Count { get; }

    public CompactRows(IReadOnlyList<int> first, int seqLen) : base(seqLen)
    {
        var offset = new int[first.Count];
        int r = 0;
        for (int b = 0; b < first.Count; b++)
        {
            if ((uint)first[b] >= (uint)seqLen) throw new ArgumentOutOfRangeException(nameof(first), $"first row {first[b]} is outside [0, {seqLen - 1}]");
            offset[b] = r;
            r += seqLen - first[b];
        }
        First = first.ToArray(); Offset = offset; Count = r;
    }

    public override int Row(int b, int t) => Offset[b] + t - First[b];
    public override int PatternRow(int b, int h, int t, int nHeads) => (Row(b, t) * nHeads + h) * SeqLen;
    public override int[] Shape(params int[] inner) => [Count, .. inner];
    public override int[] PatternShape(int nHeads) => [Count, nHeads, SeqLen];
}
