// Clean/corrupted prompt pairs ready for patching: both sides left-padded to one common length so a
// position means the same token slot in the clean run, the corrupted run, and every patched run.
using CircuitLens.Model;

namespace CircuitLens.Patching;

public sealed class PatchingBatch
{
    public TokenBatch Clean { get; }
    public TokenBatch Corrupt { get; }
    public int[] AnswerIds { get; }
    public int[] WrongIds { get; }
    /// <summary>Per pair: index (among its real tokens) of the first token where clean and corrupted differ; its length when they never do.</summary>
    public int[] FirstDifference { get; }
    public int Count => AnswerIds.Length;
    public int SeqLen => Clean.SeqLen;

    public PatchingBatch(IReadOnlyList<int[]> clean, IReadOnlyList<int[]> corrupt, int[] answerIds, int[] wrongIds)
    {
        if (clean.Count == 0) throw new CircuitLensException("no pairs to patch (the dataset is empty)");
        if (clean.Count != corrupt.Count || clean.Count != answerIds.Length || clean.Count != wrongIds.Length)
            throw new ArgumentException("clean, corrupt, answer and wrong must have one entry per pair");
        FirstDifference = new int[clean.Count];
        for (int i = 0; i < clean.Count; i++)
        {
            if (clean[i].Length != corrupt[i].Length)
                throw new CircuitLensException($"pair {i}: clean has {clean[i].Length} tokens but corrupt has {corrupt[i].Length}; patching needs equal lengths (position-aligned prompts)");
            int d = 0;
            while (d < clean[i].Length && clean[i][d] == corrupt[i][d]) d++;
            FirstDifference[i] = d;
        }
        Clean = TokenBatch.FromSequences(clean);
        Corrupt = TokenBatch.FromSequences(corrupt);
        AnswerIds = answerIds;
        WrongIds = wrongIds;
    }

    public int Length(int pair) => Clean.Lengths[pair];
    public int PadLeft(int pair) => Clean.PadLeft(pair);

    /// <summary>The pairs [start, start+count) as their own batch (padded to their own longest pair).</summary>
    public PatchingBatch Slice(int start, int count)
    {
        var clean = new List<int[]>(count); var corrupt = new List<int[]>(count);
        for (int i = start; i < start + count; i++) { clean.Add(Clean.Row(i).ToArray()); corrupt.Add(Corrupt.Row(i).ToArray()); }
        return new PatchingBatch(clean, corrupt, AnswerIds[start..(start + count)], WrongIds[start..(start + count)]);
    }
}
