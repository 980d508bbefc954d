// What path patching returns: the RAW metric after patching each sender head [batch, layer, head]
// (NaN where the sender cannot reach the receivers), the clean and corrupted baselines, and the
// normalised forms (patched − clean)/(clean − corrupt): 0 = no effect, −1 = the sender alone carries
// the whole clean-to-corrupt change along its paths to the receivers (MetricNormalization, shared with
// activation patching: a pair with equal clean and corrupted metrics is NaN and left out of the mean).
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Circuits;

public sealed class PathPatchingResult
{
    public PathReceivers Receivers { get; }
    /// <summary>[batch, layer, head]: the metric of the clean prompt with that sender's path patched.</summary>
    public Tensor Patched { get; }
    public float[] Clean { get; }
    public float[] Corrupt { get; }

    /// <summary>The metric's name ("logit-diff", …).</summary>
    public string Metric { get; }

    public PathPatchingResult(PathReceivers receivers, Tensor patched, float[] clean, float[] corrupt, string metric)
    {
        Receivers = receivers; Patched = patched; Clean = clean; Corrupt = corrupt; Metric = metric;
    }

    public int BatchSize => Patched.Dim(0);

    /// <summary>(patched_b − clean_b) / (clean_b − corrupt_b) per example; same shape as <see cref="Patched"/> (NaN for a degenerate pair).</summary>
    public Tensor NormalizedPerExample() => MetricNormalization.PerExample(Patched, Clean, Corrupt, NormalizationBaseline.Clean);

    /// <summary>(mean patched − mean clean) / (mean clean − mean corrupt), [layer, head] (NaN where no sender); degenerate pairs left out.</summary>
    public Tensor NormalizedMean() => MetricNormalization.BatchMean(Patched, Clean, Corrupt, NormalizationBaseline.Clean);

    /// <summary>The 0-based indices of the pairs whose clean and corrupted metrics are too close to normalise (see MetricNormalization).</summary>
    public IReadOnlyList<int> DegeneratePairs() => MetricNormalization.DegeneratePairs(Clean, Corrupt);
}
