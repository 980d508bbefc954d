// Clean/corrupted prompt pairs ready for patching: both sides left-padded to one common length so a
// position means the same token slot in the clean run, the corrupted run, and every patched run; and
// the metric (with its per-pair targets) every engine scores the runs with.
using CircuitLens.Model;
using CircuitLens.Patching.Metrics;

namespace CircuitLens.Patching;

public sealed class PatchingBatch
{
    public TokenBatch Clean { get; }
    public TokenBatch Corrupt { get; }
    /// <summary>What the engines measure, with one set of targets per pair.</summary>
    public PatchingMetric Metric { get; }
    /// <summary>Per pair: index (among its real tokens) of the first token where clean and corrupted differ; its length when they never do.</summary>
    public int[] FirstDifference { get; }
    public int Count => Metric.Count;
    public int SeqLen => Clean.SeqLen;

    public PatchingBatch(IReadOnlyList<int[]> clean, IReadOnlyList<int[]> corrupt, PatchingMetric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (clean.Count == 0) throw new CircuitLensException("no pairs to patch (the dataset is empty)");
        if (clean.Count != corrupt.Count || clean.Count != metric.Count)
            throw new ArgumentException($"clean, corrupt and the metric's targets must have one entry per pair ({clean.Count}, {corrupt.Count}, {metric.Count})");
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
        Metric = metric;
    }

    /// <summary>Pairs scored by the logit difference of one answer and one wrong token each (IOI).</summary>
    public PatchingBatch(IReadOnlyList<int[]> clean, IReadOnlyList<int[]> corrupt, int[] answerIds, int[] wrongIds)
        : this(clean, corrupt, new LogitDiffMetric(answerIds, wrongIds)) { }

    /// <summary>Per pair, the answer token of a logit-diff batch (other metrics: see <see cref="Metric"/>'s targets).</summary>
    public int[] AnswerIds => (Metric as LogitDiffMetric)?.AnswerIds
        ?? throw new InvalidOperationException($"AnswerIds is defined for the logit-diff metric; this batch uses {Metric.Name} (read Metric.Targets)");

    /// <summary>Per pair, the wrong token of a logit-diff batch.</summary>
    public int[] WrongIds => (Metric as LogitDiffMetric)?.WrongIds
        ?? throw new InvalidOperationException($"WrongIds is defined for the logit-diff metric; this batch uses {Metric.Name} (read Metric.Targets)");

    public int Length(int pair) => Clean.Lengths[pair];
    public int PadLeft(int pair) => Clean.PadLeft(pair);

    /// <summary>The pairs [start, start+count) as their own batch (padded to their own longest pair).</summary>
    public PatchingBatch Slice(int start, int count) => Pick(Enumerable.Range(start, count).ToArray());

    /// <summary>The given pairs, in that order, as their own batch (padded to their own longest pair).</summary>
    public PatchingBatch Pick(int[] pairs) => new(
        pairs.Select(i => Clean.Row(i).ToArray()).ToList(), pairs.Select(i => Corrupt.Row(i).ToArray()).ToList(), Metric.Pick(pairs));
}
