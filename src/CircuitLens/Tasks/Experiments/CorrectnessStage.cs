// The correctness-filter stage of an experiment (`circuitlens filter model`, and step 3 of `ioi` and
// every task): keeps the pairs the model gets right, writes them (fields passed through) and a JSON
// report (counts per reason, every row's verdict and metric values). Progress goes to the caller;
// printing is the caller's business.
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Experiments;

public static class CorrectnessStage
{
    public static CorrectnessFilterResult Run(HookedTransformer model, PairSet pairs, bool prependBos, CorrectnessMode mode,
        string outPath, string reportPath, IProgress<JobProgress>? progress = null, CancellationToken ct = default)
    {
        var tokenized = pairs.Tokenize(model, prependBos);
        var result = CorrectnessFilter.Run(model, tokenized, mode, 32,
            progress is null ? null : new SyncProgress<int>(n => progress.Report(new JobProgress((double)n / pairs.Count, $"{n}/{pairs.Count}"))), ct);
        PairFile.Write(outPath, result.Kept);
        AtomicFile.WriteAllText(reportPath, Report(result, mode, prependBos).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return result;
    }

    /// <summary>The JSON report: mode, counts, reasons, and every row's verdict (logit-diff files keep the IOI key names).</summary>
    public static JsonObject Report(CorrectnessFilterResult result, CorrectnessMode mode, bool prependBos)
    {
        bool ld = result.Metric == Patching.Metrics.LogitDiffMetric.MetricName;
        string clean = ld ? "clean_logit_diff" : "clean_metric", corrupt = ld ? "corrupt_logit_diff" : "corrupt_metric";
        var reasons = new JsonObject();
        foreach (var (reason, count) in result.ReasonCounts) reasons[reason] = new JsonObject { ["count"] = count, ["description"] = CorrectnessFilter.Describe(reason) };
        var rows = new JsonArray();
        foreach (var v in result.Verdicts)
            rows.Add(new JsonObject
            {
                ["row"] = v.Row, ["kept"] = v.Kept, ["reason"] = v.Reason, [clean] = v.CleanMetric, [corrupt] = v.CorruptMetric,
                ["clean_top1"] = v.CleanTop, ["corrupt_top1"] = v.CorruptTop,
            });
        return new JsonObject
        {
            ["mode"] = mode == CorrectnessMode.Top1 ? "top1" : "sign",
            ["metric"] = result.Metric,
            ["prepend_bos"] = prependBos,
            ["total"] = result.Verdicts.Count,
            ["kept"] = result.Kept.Count,
            ["dropped"] = result.DroppedCount,
            ["reasons"] = reasons,
            ["mean_" + clean] = result.Verdicts.Average(v => v.CleanMetric),
            ["mean_" + corrupt] = result.Verdicts.Average(v => v.CorruptMetric),
            ["rows"] = rows,
        };
    }
}
