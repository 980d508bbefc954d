// A patching metric, TransformerLens' `patching_metric`: a scalar per pair read from the model's
// prediction at the last position, together with the per-pair targets it scores. Every engine takes
// one (plain, fast exact, attribution); none knows which. A metric is evaluated from final-residual
// rows (before ln_f), so an engine hands it only the rows it needs, and gives its gradient there for
// attribution patching (the model's backward pass starts from that gradient and knows no metric).
// Built-ins: logit-diff, prob-diff, logit-diff-to-max. A new metric is one subclass plus a line in Create.
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Patching.Metrics;

public abstract class PatchingMetric
{
    protected PatchingMetric(MetricTargets targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        Targets = targets;
    }

    /// <summary>The metric's name as pair files and run.json spell it ("logit-diff").</summary>
    public abstract string Name { get; }

    /// <summary>One line for reports and run.json: what the value is.</summary>
    public abstract string Description { get; }

    public MetricTargets Targets { get; }

    /// <summary>Number of pairs the metric has targets for.</summary>
    public int Count => Targets.Count;

    /// <summary>
    /// The metric of the pairs <paramref name="pairs"/> (indices into <see cref="Targets"/>) from their final-residual
    /// rows (N,C) before ln_f, N = pairs.Length; writes values (N).
    /// </summary>
    public abstract void Evaluate(Gpt2Weights weights, ReadOnlySpan<int> pairs, ReadOnlySpan<float> rows, Span<float> values);

    /// <summary>
    /// ∂value_i/∂row_i for each of the N rows (the gradient of Σ_i value_i with respect to rows, (N,C)); rows are the
    /// final-residual rows before ln_f as in <see cref="Evaluate"/>. Overwrites <paramref name="gradients"/>.
    /// </summary>
    public abstract void Gradient(Gpt2Weights weights, ReadOnlySpan<int> pairs, ReadOnlySpan<float> rows, Span<float> gradients);

    /// <summary>The metric of pairs from full logit rows (N,V) (the plain engine's path, which unembeds everything).</summary>
    public abstract void EvaluateLogits(ReadOnlySpan<int> pairs, ReadOnlySpan<float> logits, int vocabSize, Span<float> values);

    /// <summary>A metric of the same kind over the targets of the given pairs only, in that order.</summary>
    public PatchingMetric Pick(ReadOnlySpan<int> pairs) => Create(Name, Targets.Pick(pairs));

    /// <summary>A metric over pairs [start, start+count).</summary>
    public PatchingMetric Slice(int start, int count) => Pick(Enumerable.Range(start, count).ToArray());

    /// <summary>Per pair b of a batch of Count pairs: the metric from logits (B,P,V), read at the last of the P positions.</summary>
    public float[] FromLogits(Tensor logits)
    {
        var rows = LastPositionRows(logits);
        var values = new float[Count];
        EvaluateLogits(AllPairs(Count), rows, logits.Dim(2), values);
        return values;
    }

    /// <summary>Per pair b: the metric from the final residual stream (B,T,C) (before ln_f) of a left-padded batch, last position.</summary>
    public float[] FromFinalResidual(Gpt2Weights weights, Tensor residual)
    {
        var rows = LastPositionRows(residual);
        var values = new float[Count];
        Evaluate(weights, AllPairs(Count), rows, values);
        return values;
    }

    /// <summary>Per pair b: ∂metric_b/∂(final residual at b's last position), (B,C), from the final residual stream (B,T,C).</summary>
    public float[] FinalResidualGradient(Gpt2Weights weights, Tensor residual)
    {
        var rows = LastPositionRows(residual);
        var grad = new float[rows.Length];
        Gradient(weights, AllPairs(Count), rows, grad);
        return grad;
    }

    /// <summary>The built-in metric names, as pair files spell them.</summary>
    public static IReadOnlyList<string> Names { get; } = [LogitDiffMetric.MetricName, ProbDiffMetric.MetricName, LogitDiffToMaxMetric.MetricName];

    /// <summary>The built-in metric <paramref name="name"/> over <paramref name="targets"/>; unknown names are a user error.</summary>
    public static PatchingMetric Create(string name, MetricTargets targets) => name switch
    {
        LogitDiffMetric.MetricName => new LogitDiffMetric(targets),
        ProbDiffMetric.MetricName => new ProbDiffMetric(targets),
        LogitDiffToMaxMetric.MetricName => new LogitDiffToMaxMetric(targets),
        _ => throw new CircuitLensException($"unknown metric '{name}' (choose from {string.Join(", ", Names)})"),
    };

    // (B,T,X) → (B,X): each pair's row at the last position, the batch checked against the metric's pairs
    private float[] LastPositionRows(Tensor t)
    {
        int B = t.Dim(0), T = t.Dim(1), X = t.Dim(2);
        CheckBatch(B);
        var rows = new float[B * X];
        for (int b = 0; b < B; b++) t.Slice(b, T - 1).CopyTo(rows.AsSpan(b * X, X));
        return rows;
    }

    private void CheckBatch(int batch)
    {
        if (batch != Count) throw new ArgumentException($"the metric has targets for {Count} pairs but the batch has {batch}");
    }

    private static int[] AllPairs(int n) => Enumerable.Range(0, n).ToArray();

    // Shared checks for the built-ins' constructors: errors name the pair (1-based, as pair-file rows are counted).
    protected static void Require(bool condition, int pair, string what)
    {
        if (!condition) throw new CircuitLensException($"pair {pair + 1}: {what}");
    }
}
