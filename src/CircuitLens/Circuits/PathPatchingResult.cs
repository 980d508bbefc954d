// What path patching returns: the RAW metric after patching each sender head [batch, layer, head]
// (NaN where the sender cannot reach the receivers), the clean and corrupted baselines, and the
// normalised forms (patched − clean)/(clean − corrupt): 0 = no effect, −1 = the sender alone carries
// the whole clean-to-corrupt change along its paths to the receivers.
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

    /// <summary>(patched_b − clean_b) / (clean_b − corrupt_b) per example; same shape as <see cref="Patched"/>.</summary>
    public Tensor NormalizedPerExample()
    {
        var result = Patched.Clone();
        int per = Patched.Length / BatchSize;
        for (int b = 0; b < BatchSize; b++)
        {
            float clean = Clean[b], denom = clean - Corrupt[b];
            var row = result.Slice(b);
            for (int i = 0; i < per; i++) row[i] = (row[i] - clean) / denom;
        }
        return result;
    }

    /// <summary>(mean patched − mean clean) / (mean clean − mean corrupt), [layer, head] (NaN where no sender).</summary>
    public Tensor NormalizedMean()
    {
        int per = Patched.Length / BatchSize;
        var result = Tensor.Zeros(Patched.Shape[1..]);
        double clean = Clean.Average(x => (double)x), corrupt = Corrupt.Average(x => (double)x);
        for (int i = 0; i < per; i++)
        {
            double patched = 0;
            for (int b = 0; b < BatchSize; b++) patched += Patched.Data[b * per + i];
            result.Data[i] = (float)((patched / BatchSize - clean) / (clean - corrupt));
        }
        return result;
    }
}
