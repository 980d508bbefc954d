// The per-pair token targets a patching metric scores: answer tokens, wrong tokens and candidate
// tokens, one array of ids per pair (unused kinds are empty). Data only: which metric reads which
// field, and how, is the metric's business (PatchingMetric and its built-ins).
namespace CircuitLens.Patching.Metrics;

public sealed class MetricTargets
{
    /// <summary>Per pair: the answer token(s) (logit-diff, logit-diff-to-max: one; prob-diff: the answer set).</summary>
    public IReadOnlyList<int[]> Answers { get; }
    /// <summary>Per pair: the wrong token(s) (logit-diff: one; prob-diff: the wrong set; logit-diff-to-max: none).</summary>
    public IReadOnlyList<int[]> Wrong { get; }
    /// <summary>Per pair: the candidates the answer competes with (logit-diff-to-max; may include the answer itself).</summary>
    public IReadOnlyList<int[]> Candidates { get; }
    public int Count => Answers.Count;

    public MetricTargets(IReadOnlyList<int[]> answers, IReadOnlyList<int[]>? wrong = null, IReadOnlyList<int[]>? candidates = null)
    {
        ArgumentNullException.ThrowIfNull(answers);
        Answers = answers;
        Wrong = wrong ?? Empty(answers.Count);
        Candidates = candidates ?? Empty(answers.Count);
        if (Wrong.Count != Count || Candidates.Count != Count)
            throw new ArgumentException($"targets need one entry per pair: {Count} answers, {Wrong.Count} wrong, {Candidates.Count} candidates");
        for (int i = 0; i < Count; i++)
            if (Answers[i] is null || Wrong[i] is null || Candidates[i] is null) throw new ArgumentException($"pair {i}: a target list is null");
    }

    /// <summary>One answer and one wrong token per pair.</summary>
    public static MetricTargets Single(int[] answerIds, int[] wrongIds)
    {
        ArgumentNullException.ThrowIfNull(answerIds); ArgumentNullException.ThrowIfNull(wrongIds);
        return new(answerIds.Select(a => new[] { a }).ToArray(), wrongIds.Select(w => new[] { w }).ToArray());
    }

    /// <summary>The targets of the given pairs, in that order.</summary>
    public MetricTargets Pick(ReadOnlySpan<int> pairs)
    {
        var a = new int[pairs.Length][]; var w = new int[pairs.Length][]; var c = new int[pairs.Length][];
        for (int i = 0; i < pairs.Length; i++) { a[i] = Answers[pairs[i]]; w[i] = Wrong[pairs[i]]; c[i] = Candidates[pairs[i]]; }
        return new(a, w, c);
    }

    /// <summary>Throws (naming the pair) when a target id is outside the model's vocabulary.</summary>
    public void CheckVocabulary(int vocabSize)
    {
        for (int i = 0; i < Count; i++)
            foreach (int id in Answers[i].Concat(Wrong[i]).Concat(Candidates[i]))
                if ((uint)id >= (uint)vocabSize)
                    throw new CircuitLensException($"pair {i + 1}: answer token id {id} is outside the vocabulary (size {vocabSize})");
    }

    private static int[][] Empty(int n) => Enumerable.Range(0, n).Select(_ => Array.Empty<int>()).ToArray();
}
