// The correctness filter stage shared by `circuitlens filter model` and `circuitlens ioi`: keeps the
// pairs the model gets right, writes them and a JSON report (counts per reason, every row's verdict
// and logit differences), and prints a summary on stderr.
using System.Text.Json;
using CircuitLens.Model;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tensors;

namespace CircuitLens.Cli.Commands;

internal static class FilterModelStage
{
    public static CorrectnessFilterResult Run(HookedTransformer model, IReadOnlyList<IoiPair> pairs, bool prependBos, CorrectnessMode mode,
        string outPath, string reportPath, string source, CancellationToken ct)
    {
        var tokenized = new IoiTokenizedPairs(model, pairs, prependBos, source);
        var result = ProgressDisplay.Run($"checking {pairs.Count} pairs with the model", progress =>
            CorrectnessFilter.Run(model, tokenized, mode, 32, new SyncProgress<int>(n => progress.Report(new Patching.JobProgress((double)n / pairs.Count, $"{n}/{pairs.Count}"))), ct));
        IoiJsonl.Write(outPath, result.Kept);
        var report = new
        {
            mode = mode == CorrectnessMode.Top1 ? "top1" : "sign",
            prepend_bos = prependBos,
            total = pairs.Count,
            kept = result.Kept.Count,
            dropped = result.DroppedCount,
            reasons = result.ReasonCounts.ToDictionary(kv => kv.Key, kv => new { count = kv.Value, description = CorrectnessFilter.Describe(kv.Key) }),
            mean_clean_logit_diff = result.Verdicts.Average(v => v.CleanLogitDiff),
            mean_corrupt_logit_diff = result.Verdicts.Average(v => v.CorruptLogitDiff),
            rows = result.Verdicts.Select(v => new { row = v.Row, kept = v.Kept, reason = v.Reason, clean_logit_diff = v.CleanLogitDiff, corrupt_logit_diff = v.CorruptLogitDiff, clean_top1 = v.CleanTop, corrupt_top1 = v.CorruptTop }),
        };
        AtomicFile.WriteAllText(reportPath, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        Cli.Stderr.Info($"kept {result.Kept.Count} of {pairs.Count} pairs (mean logit diff clean {report.mean_clean_logit_diff:F3}, corrupted {report.mean_corrupt_logit_diff:F3})");
        foreach (var (reason, count) in result.ReasonCounts) Cli.Stderr.Info($"  dropped {count}: {CorrectnessFilter.Describe(reason)}");
        return result;
    }

    public static CorrectnessMode ParseMode(string text) => text switch
    {
        "top1" => CorrectnessMode.Top1,
        "sign" => CorrectnessMode.Sign,
        _ => throw new CircuitLensException($"unknown filter mode '{text}' (top1 or sign)"),
    };
}
