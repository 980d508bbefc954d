// Normalising a patched metric against its clean and corrupted baselines: one implementation for
// every kind of patching. Both divide by the pair's clean − corrupted gap; they differ in the
// baseline the change is measured from:
//   activation patching (clean activations into the corrupted run), from the corrupted metric:
//     (patched − corrupted) / (clean − corrupted)   0 no effect, 1 the clean behaviour fully restored
//   path patching (corrupted activations into the clean run), from the clean metric:
//     (patched − clean) / (clean − corrupted)       0 no effect, −1 the whole clean-to-corrupted change
// A pair whose gap is (nearly) zero or not finite is degenerate: NaN per example and left out of every
// batch mean. Batch means are TransformerLens' form (mean patched − mean baseline) / (mean clean − mean
// corrupted), over the pairs that have the entry (NaN entries — positions past a pair's length,
// senders with no path — are skipped).
using CircuitLens.Tensors;

namespace CircuitLens.Patching;

/// <summary>Which unpatched metric a patched one is measured from.</summary>
public enum NormalizationBaseline
{
    /// <summary>Activation patching: (patched − corrupted) / (clean − corrupted).</summary>
    Corrupt,
    /// <summary>Path patching: (patched − clean) / (clean − corrupted).</summary>
    Clean,
}

public static class MetricNormalization
{
    /// <summary>The smallest |clean − corrupted| metric gap a pair may have to be normalised (metric units).</summary>
    public const float MinBaselineGap = 1e-4f;

    /// <summary>True when a pair's clean and corrupted metrics are too close (or not finite) for a normalised score to mean anything.</summary>
    public static bool IsDegenerate(float clean, float corrupt) => !(Math.Abs(clean - corrupt) >= MinBaselineGap);

    /// <summary>The 0-based indices of the degenerate pairs (see <see cref="IsDegenerate"/>).</summary>
    public static IReadOnlyList<int> DegeneratePairs(float[] clean, float[] corrupt) =>
        Enumerable.Range(0, clean.Length).Where(b => IsDegenerate(clean[b], corrupt[b])).ToList();

    // patched is [batch, ...]; clean and corrupt are [batch]; the result has patched's shape
    public static Tensor PerExample(Tensor patched, float[] clean, float[] corrupt, NormalizationBaseline from)
    {
        int batch = patched.Dim(0), per = patched.Length / batch;
        var result = patched.Clone();
        for (int b = 0; b < batch; b++)
        {
            float baseline = from == NormalizationBaseline.Clean ? clean[b] : corrupt[b], gap = clean[b] - corrupt[b];
            var row = result.Slice(b);
            if (IsDegenerate(clean[b], corrupt[b])) { row.Fill(float.NaN); continue; }
            for (int i = 0; i < per; i++) row[i] = (row[i] - baseline) / gap;
        }
        return result;
    }

    // patched is [batch, ...]; clean and corrupt are [batch]; the result has patched's shape without the batch axis
    public static Tensor BatchMean(Tensor patched, float[] clean, float[] corrupt, NormalizationBaseline from)
    {
        int batch = patched.Dim(0), per = patched.Length / batch;
        var result = Tensor.Zeros(patched.Shape[1..]);
        for (int i = 0; i < per; i++)
        {
            double sumPatched = 0, sumClean = 0, sumCorrupt = 0; int n = 0;
            for (int b = 0; b < batch; b++)
            {
                float v = patched.Data[b * per + i];
                if (float.IsNaN(v) || IsDegenerate(clean[b], corrupt[b])) continue;
                sumPatched += v; sumClean += clean[b]; sumCorrupt += corrupt[b]; n++;
            }
            double baseline = from == NormalizationBaseline.Clean ? sumClean : sumCorrupt;
            result.Data[i] = n == 0 ? float.NaN : (float)((sumPatched - baseline) / (sumClean - sumCorrupt));
        }
        return result;
    }

    /// <summary>The mean over the batch axis of <paramref name="t"/> [batch, ...], NaN entries skipped (NaN where every entry is).</summary>
    public static Tensor NanMeanOverBatch(Tensor t)
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
