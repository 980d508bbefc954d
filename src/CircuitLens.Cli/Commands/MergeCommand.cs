// `circuitlens merge OUT DIR...`: joins the partial run directories of `patch --shard I/N` into OUT,
// writing the same files an unsharded run writes. Refuses shards of different runs (model hash,
// dataset hash, options), a missing or duplicated shard, and a model that is not the one they used.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using CircuitLens.Patching;
using CircuitLens.Sharding;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Pairs;
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
        var command = new Command("merge", "Join the shard directories of `patch --shard I/N` into one run directory (the files of an unsharded run).")
            { output, shards, model, offline, noPlots };
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            string outDir = r.GetValue(output)!;
            var checkedShards = ShardMerge.Check(r.GetValue(shards)!);
            var dirs = checkedShards.Select(s => s.Dir).ToList();
            var first = checkedShards[0].Manifest;
            var run = first.Run;
            if (dirs.Any(d => Path.GetFullPath(d) == Path.GetFullPath(outDir))) throw new CircuitLensException($"{outDir} is one of the shards; merge into a new directory");

            string source = r.GetValue(model) ?? first.ModelSource ?? throw new CircuitLensException("shard.json names no model; pass --model");
            var m = ModelOptions.Load(source, r.GetValue(offline), ct);
            if (ShardManifest.ModelHash(m.Weights) != first.ModelSha256)
                throw new CircuitLensException($"model {source} is not the one the shards were computed with (its parameters hash differently)");
            var pairs = new PairSet(run["pairs_source"]!.GetValue<string>(),
                dirs.SelectMany(d => PairFile.Read(Path.Combine(d, ShardManifest.PairsFileName)).Rows).ToList());
            if (PatchExperiment.DatasetHash(pairs) != first.DatasetSha256)
                throw new CircuitLensException("the shards' pairs.jsonl files do not join into the dataset they were cut from (edited or damaged)");

            var layers = run["layers"]?.AsArray().Select(l => l!.GetValue<int>()).ToArray();
            var sweeps = Sweep.Parse(string.Join(',', run["sweeps"]!.AsArray().Select(s => s!.GetValue<string>()))).Select(s => s.WithLayers(layers)).ToList();
            var method = Enum.Parse<PatchingMethod>(run["method"]!.GetValue<string>(), ignoreCase: true);
            bool exact = method != PatchingMethod.Attribution, attribution = method is PatchingMethod.Attribution or PatchingMethod.Both;
            var exactResults = exact ? ShardMerge.Join(dirs, "", sweeps, pairs.Metric) : [];
            var attributionResults = attribution ? ShardMerge.Join(dirs, exact ? "attribution" : "", sweeps, pairs.Metric) : [];
            var primary = exact ? exactResults : attributionResults;
            var job = new PatchingJobResult
            {
                Exact = exactResults, Attribution = attributionResults,
                CleanMetric = primary[0].CleanMetric, CorruptMetric = primary[0].CorruptMetric, Metric = pairs.Metric,
                ExactTime = TimeSpan.FromSeconds(dirs.Sum(d => Timing(d, "exact"))),
                AttributionTime = TimeSpan.FromSeconds(dirs.Sum(d => Timing(d, "attribution"))),
            };
            Directory.CreateDirectory(outDir);
            using var hold = RunLock.Acquire(outDir);   // as `patch`: a second writer into the same directory fails instead of mixing files
            var result = PatchExperiment.WriteOutputs(m, pairs, run["prepend_bos"]!.GetValue<bool>(), outDir, new PatchExperimentOptions
            {
                Sweeps = sweeps, Method = method, ChunkSize = run["chunk_size"]!.GetValue<int>(), Plots = !r.GetValue(noPlots),
                MarkIoiHeads = run["mark_ioi_heads"]?.GetValue<bool>() ?? true, Title = run["title"]?.GetValue<string>() ?? "activation patching",
            }, job, clock.Elapsed);
            foreach (var warning in result.Warnings) Console.Error.WriteLine($"warning: {warning}");
            foreach (var note in result.Notes) Cli.Stderr.Info(note);
            Cli.Stderr.Info($"merged {dirs.Count} shards ({pairs.Count} pairs) into {outDir}");
            Console.Out.WriteLine(Path.GetFullPath(outDir));
            return ExitCodes.Ok;
        })));
        return command;
    }

    // the patching time a shard's run.json recorded (the merged run reports the sum: total compute)
    private static double Timing(string dir, string key)
    {
        string path = Path.Combine(dir, "run.json");
        return File.Exists(path) && JsonNode.Parse(File.ReadAllText(path))?["timings_seconds"]?[key]?.GetValue<double>() is double s ? s : 0;
    }
}
