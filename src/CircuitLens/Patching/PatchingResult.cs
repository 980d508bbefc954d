// The outcome of one sweep: the RAW patched metric (logit difference for IOI; see Metric) per example
// and component, plus the clean and corrupted baselines it is normalised against.
//   normalised = (patched − corrupted) / (clean − corrupted): 0 no effect, 1 fully restored, < 0 hurts.
// A pair whose clean and corrupted metrics are (nearly) equal has no defined normalisation: it is
// degenerate, NaN in the per-example normalised array and left out of every normalised mean
// (MetricNormalization, shared with path patching).
using CircuitLens.Tensors;

namespace CircuitLens.Patching;

public sealed class PatchingResult
{
    public Sweep Sweep { get; }
    /// <summary>[batch, layer, head], [batch, layer, pos] or [batch, layer, pos, head]; NaN at positions past a pair's length.</summary>
    public Tensor Patched { get; }
    /// <summary>The metric on each clean and each corrupted prompt, unpatched.</summary>
    public float[] CleanMetric { get; }
    public float[] CorruptMetric { get; }
    /// <summary>The metric's name ("logit-diff", "prob-diff", ...).</summary>
    public string Metric { get; }

    public PatchingResult(Sweep sweep, Tensor patched, float[] cleanMetric, float[] corruptMetric, string metric = Metrics.LogitDiffMetric.MetricName)
    {
        Sweep = sweep; Patched = patched; CleanMetric = cleanMetric; CorruptMetric = corruptMetric; Metric = metric;
    }

    public int BatchSize => Patched.Dim(0);

    /// <summary>The smallest |clean − corrupted| metric gap a pair may have to be normalised (metric units).</summary>
    public const float MinBaselineGap = MetricNormalization.MinBaselineGap;

    /// <summary>True when a pair's clean and corrupted metrics are too close (or not finite) for (patched − corrupted) / (clean − corrupted) to mean anything.</summary>
    public static bool IsDegenerate(float clean, float corrupt) => MetricNormalization.IsDegenerate(clean, corrupt);

    /// <summary>The 0-based indices of the degenerate pairs (see <see cref="IsDegenerate"/>).</summary>
    public static IReadOnlyList<int> DegeneratePairs(float[] clean, float[] corrupt) => MetricNormalization.DegeneratePairs(clean, corrupt);

    /// <summary>(patched_b − corrupted_b) / (clean_b − corrupted_b), per example; same shape as <see cref="Patched"/>.</summary>
    public Tensor NormalizedPerExample() => MetricNormalization.PerExample(Patched, CleanMetric, CorruptMetric, NormalizationBaseline.Corrupt);

    /// <summary>(mean patched − mean corrupted) / (mean clean − mean corrupted), the TransformerLens form; shape without the batch axis.
    /// Means run over the pairs that have the entry (position maps of pairs with different lengths skip NaN entries), degenerate pairs left out.</summary>
    public Tensor NormalizedMean() => MetricNormalization.BatchMean(Patched, CleanMetric, CorruptMetric, NormalizationBaseline.Corrupt);

    /// <summary>Mean over the batch of the per-example normalised scores (NaN entries skipped).</summary>
    public Tensor NormalizedPerExampleMean() => NanMeanOverBatch(NormalizedPerExample());

    internal static Tensor NanMeanOverBatch(Tensor t) => MetricNormalization.NanMeanOverBatch(t);
}
