// `circuitlens patch`: cache and patch. Runs the clean prompts, caches activations, runs the corrupted
// prompts with one component patched at a time, and writes raw and normalised maps, CSV, pictures,
// run.json and report.html into --out (the library's PatchExperiment). Reads any pair file (each
// file's metric: logit-diff, prob-diff, logit-diff-to-max). Interrupted runs resume from the last finished chunk.
// --device runs every engine (fast exact, plain, attribution) on a GPU; --shard I/N [--shard-by pairs|components] computes
// one slice (the library's ShardedPatchExperiment); --max-memory sets the memory plan's budget.
using System.CommandLine;
using CircuitLens.Patching;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tasks.Runs;

namespace CircuitLens.Cli.Commands;

internal static class PatchCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var pairs = new Option<string>("--pairs") { Description = "Pair file (JSONL): clean, corrupt and the metric's answers per line (IOI rows: answer, wrong; see README for prob-diff and logit-diff-to-max).", Required = true };
        var sweep = new Option<string>("--sweep") { Description = "Comma-separated sweeps: head-z, head-q, head-k, head-v, head-pattern (heads-every), resid-pre, attn-out, mlp-out (block-every), resid-mid, head-z-by-pos, head-q-by-pos, head-k-by-pos, head-v-by-pos, head-pattern-by-pos (heads-by-pos-every), mlp-post-neuron.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output directory.", Required = true }.OutputDirectory();
        var method = new Option<string>("--method") { Description = "exact (fast exact engine), plain (one full forward per component, the TransformerLens way), attribution (gradient estimate), both (exact + attribution + agreement).", DefaultValueFactory = _ => "exact" };
        method.AcceptOnlyFromAmong("exact", "plain", "attribution", "both");
        var chunk = new Option<int>("--chunk-size") { Description = "Pairs per chunk (unit of progress and resume).", DefaultValueFactory = _ => 25 }.Range(1, CommandLineRules.MaxPairs);
        var noPlots = new Option<bool>("--no-plots") { Description = "Skip SVG/PNG pictures (report.html is still written)." };
        var layers = new Option<string?>("--layers") { Description = "Patch only these layers, e.g. 8-11 or 0,3,5-7 (every sweep; the layer axis then holds these layers). Default: all." };
        var command = new Command("patch", "Activation patching sweeps over clean/corrupted pairs; writes .npy/.csv/.svg/.png, run.json and report.html.") { pairs, sweep, output, method, chunk, noPlots, layers };
        model.AddTo(command);
        var device = new DeviceOptions();
        device.AddTo(command);
        var shards = new ShardOptions();
        shards.AddTo(command);
        var memory = new MemoryOptions();
        memory.AddTo(command);
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            var sweeps = Sweep.Parse(r.GetValue(sweep)!);
            if (r.GetValue(chunk) < 1) throw new CircuitLensException("--chunk-size must be at least 1");
            string pairsPath = r.GetValue(pairs)!;
            var shardRequest = shards.Request(r, r.GetValue(model.Model)!);
            long? budget = memory.Budget(r);
            var methodKind = Enum.Parse<PatchingMethod>(r.GetValue(method)!, ignoreCase: true);
            var m = device.Apply(r, model.Load(r, ct));
            var layerSelection = Sweep.ParseLayers(r.GetValue(layers), m.Config.NLayers);
            sweeps = sweeps.Select(s => s.WithLayers(layerSelection)).ToList();
            var rows = PairFile.Read(pairsPath);
            string outDir = r.GetValue(output)!;
            var stageOptions = new PatchExperimentOptions
            {
                Sweeps = sweeps, Method = methodKind, ChunkSize = r.GetValue(chunk),
                Plots = !r.GetValue(noPlots),
            };
            (stageOptions, var plan) = PatchMemory.Apply(m, rows, model.PrependBos(r), stageOptions, device.Kind(r), budget);
            Cli.Stderr.Info(plan.Summary);
            using var hold = RunLock.Acquire(outDir);   // a second run into the same --out fails here instead of mixing rows
            try
            {
                RunInterruptedException.Wrap($"finished chunks are kept in {Path.Combine(outDir, ".checkpoint")}; run the same command again to continue", () =>
                {
                    if (shardRequest is { } request)
                    {
                        var done = ProgressDisplay.Run($"patching shard {request.Shard}", progress => ShardedPatchExperiment.Run(m, rows, model.PrependBos(r), outDir, "", stageOptions, request, null, progress, ct));
                        foreach (var warning in done.Patching?.Warnings ?? []) Console.Error.WriteLine($"warning: {warning}");
                        foreach (var note in done.Notes) Cli.Stderr.Info(note);
                    }
                    else PatchStage.Run(m, rows, model.PrependBos(r), outDir, stageOptions, ct);
                    return true;
                });
            }
            catch (CircuitLensException)
            {
                hold.Discard();   // refused (e.g. every pair degenerate): no directory or lock of this run is left behind
                throw;
            }
            Cli.Stderr.Info($"report: {Path.Combine(outDir, "report.html")}");
            Console.Out.WriteLine(Path.GetFullPath(outDir));
            return ExitCodes.Ok;
        })));
        return command;
    }
}
