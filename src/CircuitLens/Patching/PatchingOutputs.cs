// Writes sweep results for Python users: per sweep the RAW patched metric `<sweep>.npy`,
// `<sweep>_normalized.npy` (per example), `<sweep>_normalized_mean.npy` ((mean patched − mean corrupted)
// / (mean clean − mean corrupted)) and a long-format CSV of the mean map; plus the two baselines,
// `clean_metric.npy` and `corrupt_metric.npy` (and, for logit-diff, the IOI names `clean_logit_diff.npy`, `corrupt_logit_diff.npy`).
using System.Globalization;
using System.Text;
using CircuitLens.Tensors;

namespace CircuitLens.Patching;

public static class PatchingOutputs
{
    public static IReadOnlyList<string> Write(string dir, IReadOnlyList<PatchingResult> results)
    {
        Directory.CreateDirectory(dir);
        var written = new List<string>();
        void Npy(string name, Tensor t) { string p = Path.Combine(dir, name); NpyFile.Write(p, t); written.Add(p); }
        var first = results[0];
        Npy("clean_metric.npy", new Tensor(first.CleanMetric, first.CleanMetric.Length));
        Npy("corrupt_metric.npy", new Tensor(first.CorruptMetric, first.CorruptMetric.Length));
        if (first.Metric == Metrics.LogitDiffMetric.MetricName)
        {
            Npy("clean_logit_diff.npy", new Tensor(first.CleanMetric, first.CleanMetric.Length));
            Npy("corrupt_logit_diff.npy", new Tensor(first.CorruptMetric, first.CorruptMetric.Length));
        }
        foreach (var r in results)
        {
            string n = r.Sweep.Name;
            Npy($"{n}.npy", r.Patched);
            Npy($"{n}_normalized.npy", r.NormalizedPerExample());
            Npy($"{n}_normalized_mean.npy", r.NormalizedMean());
            string csv = Path.Combine(dir, $"{n}_mean.csv");
            AtomicFile.WriteAllText(csv, MeanCsv(r));
            written.Add(csv);
        }
        return written;
    }

    /// <summary>One row per component: layer, head and/or pos, then the TransformerLens-form normalised mean, the mean of per-example scores, and the raw mean.</summary>
    public static string MeanCsv(PatchingResult r)
    {
        var norm = r.NormalizedMean();
        var perExample = r.NormalizedPerExampleMean();
        var raw = PatchingResult.NanMeanOverBatch(r.Patched);
        var sb = new StringBuilder();
        var axes = r.Sweep.IndexHeader;
        sb.Append(axes).Append(",normalized_mean,normalized_per_example_mean,").Append(r.Metric == Metrics.LogitDiffMetric.MetricName ? "patched_logit_diff_mean" : "patched_metric_mean").Append('\n');
        var shape = norm.Shape;
        for (int i = 0; i < norm.Length; i++)
        {
            int rem = i;
            var idx = new int[shape.Length];
            for (int a = shape.Length - 1; a >= 0; a--) { idx[a] = rem % shape[a]; rem /= shape[a]; }
            if (r.Sweep.Layers is { } layers) idx[0] = layers[idx[0]];   // the model's layer, not the axis index
            sb.Append(string.Join(',', idx)).Append(',')
              .Append(F(norm.Data[i])).Append(',').Append(F(perExample.Data[i])).Append(',').Append(F(raw.Data[i])).Append('\n');
        }
        return sb.ToString();
    }

    private static string F(float v) => float.IsNaN(v) ? "nan" : v.ToString("G7", CultureInfo.InvariantCulture);
}
