// The outcome of one sweep: the RAW patched metric (logit difference for IOI; see Metric) per example
// and component, plus the clean and corrupted baselines it is normalised against.
//   normalised = (patched − corrupted) / (clean − corrupted): 0 no effect, 1 fully restored, < 0 hurts.
// A pair whose clean and corrupted metrics are (nearly) equal has no defined normalisation: it is
// degenerate, NaN in the per-example normalised array and left out of every normalised mean.
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

    /// <summary>The smallest |clean − corrupted| metric gap a pair may have to be normalised (logit units).</summary>
    public const float MinBaselineGap = 1e-4f;

    /// <summary>True when a pair's clean and corrupted metrics are too close (or not finite) for (patched − corrupted) / (clean − corrupted) to mean anything.</summary>
    public static bool IsDegenerate(float clean, float corrupt) => !(Math.Abs(clean - corrupt) >= MinBaselineGap);

    /// <summary>The 0-based indices of the degenerate pairs (see <see cref="IsDegenerate"/>).</summary>
    public static IReadOnlyList<int> DegeneratePairs(float[] clean, float[] corrupt) =>
        Enumerable.Range(0, clean.Length).Where(b => IsDegenerate(clean[b], corrupt[b])).ToList();

    /// <summary>(patched_b − corrupted_b) / (clean_b − corrupted_b), per example; same shape as <see cref="Patched"/>.</summary>
    public Tensor NormalizedPerExample()
    {
        var result = Patched.Clone();
        int per = Patched.Length / BatchSize;
        for (int b = 0; b < BatchSize; b++)
        {
            float corrupt = CorruptMetric[b], denom = CleanMetric[b] - corrupt;
            var row = result.Slice(b);
            if (IsDegenerate(CleanMetric[b], corrupt)) { row.Fill(float.NaN); continue; }
            for (int i = 0; i < per; i++) row[i] = (row[i] - corrupt) / denom;
        }
        return result;
    }

    /// <summary>(mean patched − mean corrupted) / (mean clean − mean corrupted), the TransformerLens form; shape without the batch axis.
    /// Means run over the pairs that have the entry (position maps of pairs with different lengths skip NaN entries), degenerate pairs left out.</summary>
    public Tensor NormalizedMean()
    {
        int per = Patched.Length / BatchSize;
        var result = Tensor.Zeros(Patched.Shape[1..]);
        for (int i = 0; i < per; i++)
        {
            double patched = 0, clean = 0, corrupt = 0; int n = 0;
            for (int b = 0; b < BatchSize; b++)
            {
                float v = Patched.Data[b * per + i];
                if (float.IsNaN(v) || IsDegenerate(CleanMetric[b], CorruptMetric[b])) continue;
                patched += v; clean += CleanMetric[b]; corrupt += CorruptMetric[b]; n++;
            }
            result.Data[i] = n == 0 ? float.NaN : (float)((patched - corrupt) / (clean - corrupt));
        }
        return result;
    }

    /// <summary>Mean over the batch of the per-example normalised scores (NaN entries skipped).</summary>
    public Tensor NormalizedPerExampleMean() => NanMeanOverBatch(NormalizedPerExample());

    internal static Tensor NanMeanOverBatch(Tensor t)
    {
        int batch = t.Dim(0), per = t.Length / batch;
        var result = Tensor.Zeros(t.Shape[1..]);
        for (int i = 0; i < per; i++)
        {
            double sum = 0; int n = 0;
            for (int b = 0; b < batch; b++) { float v = t.Data[b * per + i]; if (!float.IsNaN(v)) { sum += v; n++; } }
            result.Data[i] = n == 0 ? float.NaN : (float)(sum / n);
        }
        return result;
    }
}
