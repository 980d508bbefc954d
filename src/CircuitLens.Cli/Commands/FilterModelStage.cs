// The CLI face of the library's CorrectnessStage: shows its progress and prints the summary (kept
// count, mean metric, dropped per reason) on stderr. No filter logic lives here.
using CircuitLens.Model;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Pairs;

namespace CircuitLens.Cli.Commands;

internal static class FilterModelStage
{
    public static CorrectnessFilterResult Run(HookedTransformer model, PairSet pairs, bool prependBos, CorrectnessMode mode,
        string outPath, string reportPath, CancellationToken ct)
    {
        var result = ProgressDisplay.Run($"checking {pairs.Count} pairs with the model", progress =>
            CorrectnessStage.Run(model, pairs, prependBos, mode, outPath, reportPath, progress, ct));
        string metric = result.Metric == "logit-diff" ? "logit diff" : result.Metric;
        Cli.Stderr.Info($"kept {result.Kept.Count} of {pairs.Count} pairs (mean {metric} clean {result.Verdicts.Average(v => v.CleanMetric):F3}, corrupted {result.Verdicts.Average(v => v.CorruptMetric):F3})");
        foreach (var (reason, count) in result.ReasonCounts) Cli.Stderr.Info($"  dropped {count}: {CorrectnessFilter.Describe(reason)}");
        return result;
    }
}
