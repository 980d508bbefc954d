// The CLI face of the library's PatchExperiment: shows its progress and prints its notes on stderr.
// No experiment logic lives here.
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Pairs;

namespace CircuitLens.Cli.Commands;

internal static class PatchStage
{
    public static PatchExperimentResult Run(HookedTransformer model, PairSet pairs, bool prependBos, string outDir, PatchExperimentOptions options, CancellationToken ct)
    {
        var result = ProgressDisplay.Run($"patching {pairs.Count} pairs", progress => PatchExperiment.Run(model, pairs, prependBos, outDir, options, progress, ct));
        foreach (var warning in result.Warnings) Console.Error.WriteLine($"warning: {warning}");
        foreach (var note in result.Notes) Cli.Stderr.Info(note);
        return result;
    }
}
