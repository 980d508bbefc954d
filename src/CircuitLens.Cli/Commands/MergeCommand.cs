// `circuitlens merge OUT DIR...`: joins the partial run directories of `--shard I/N` into OUT (the
// library's ShardedRunMerge, PathPatchShards): `patch` and `path-patch` shards become the files of an
// unsharded run; an experiment's shards are merged and the experiment finished from them (figures,
// analyses, report.html: ShardedExperiment.Finish). Refuses shards
// of different runs (model hash, dataset hash, options, shard-by), a missing or duplicated shard, and a
// model that is not the one they used. The CLI only parses and prints.
using System.CommandLine;
using System.Diagnostics;
using CircuitLens.Tasks.Circuits;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Runs;

namespace CircuitLens.Cli.Commands;

internal static class MergeCommand
{
    public static Command Create()
    {
        var output = new Argument<string>("out") { Description = "Output directory of the merged run." };
        var shards = new Argument<string[]>("shards") { Description = "The shard directories (every I of I/N once, any order).", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string?>("--model", "-m") { Description = "Model directory or hub id, when the one recorded in shard.json is not reachable from here (its hash must match)." };
        var offline = new Option<bool>("--offline") { Description = "Never touch the network; use the local hub cache only (also HF_HUB_OFFLINE=1)." };
        var noPlots = new Option<bool>("--no-plots") { Description = "Skip SVG/PNG pictures (report.html is still written)." };
        var command = new Command("merge", "Join the shard directories of `--shard I/N` into one run directory (the files of an unsharded run).")
            { output, shards, model, offline, noPlots };
        var device = new DeviceOptions();   // where an experiment's remaining steps run (its circuit analysis, figures)
        device.AddTo(command);
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            string outDir = r.GetValue(output)!;
            var set = ShardedRunMerge.Check(r.GetValue(shards)!, outDir);
            if (set.Kind == PathPatchShards.Kind)
            {
                var joined = PathPatchShards.Merge(set, outDir, !r.GetValue(noPlots));
                Cli.Stderr.Info($"merged {set.Dirs.Count} path-patch shards ({joined.BatchSize} pairs) into {outDir}");
                Console.Out.WriteLine(Path.GetFullPath(outDir));
                return ExitCodes.Ok;
            }
            string source = r.GetValue(model) ?? set.First.ModelSource ?? throw new CircuitLensException("shard.json names no model; pass --model");
            var m = device.Apply(r, ModelOptions.Load(source, r.GetValue(offline), ct));
            var merged = ShardedRunMerge.Join(m, set, source);
            Directory.CreateDirectory(outDir);
            using var hold = RunLock.Acquire(outDir);   // as `patch`: a second writer into the same directory fails instead of mixing files
            if (set.Experiment is { } task)
            {
                Cli.Stderr.Info($"merged {set.Dirs.Count} {task} shards ({merged.Pairs.Count} pairs); finishing the experiment in {outDir}");
                string report = task == "ioi"   // the ioi pipeline's stages live in IoiCommand
                    ? IoiCommand.FinishMerged(m, set, merged, outDir, ct)
                    : ProgressDisplay.Run(task, progress => ShardedExperiment.Finish(m, set, merged, outDir, Cli.Stderr.Info, progress, ct));
                Cli.Stderr.Info($"report: {report}");
                Console.Out.WriteLine(Path.GetFullPath(report));
                return ExitCodes.Ok;
            }
            var result = ShardedRunMerge.WritePatch(m, merged, outDir, !r.GetValue(noPlots), clock.Elapsed);
            foreach (var warning in result.Warnings) Console.Error.WriteLine($"warning: {warning}");
            foreach (var note in result.Notes) Cli.Stderr.Info(note);
            Cli.Stderr.Info($"merged {set.Dirs.Count} shards ({merged.Pairs.Count} pairs) into {outDir}");
            Console.Out.WriteLine(Path.GetFullPath(outDir));
            return ExitCodes.Ok;
        })));
        return command;
    }
}
