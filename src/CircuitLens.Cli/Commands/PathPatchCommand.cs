// `circuitlens path-patch`: path patching of every sender head into the logits or into receiver heads'
// q/k/v inputs; writes path-patch.npy [batch, layer, head], its normalised forms, maps and path-patch.json.
// --device runs either engine on an ILGPU device (the fast one's step-1 rows through the device block).
// --chunk-size / --max-memory batch the pairs; --shard I/N [--shard-by pairs|components] computes one slice
// for `merge` (the library's PathPatchShards).
using System.CommandLine;
using CircuitLens.Patching;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Circuits;

namespace CircuitLens.Cli.Commands;

internal static class PathPatchCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var pairs = new Option<string>("--pairs") { Description = "Pairs JSONL (clean = target, corrupt = source, answer, wrong).", Required = true };
        var receivers = new Option<string>("--receivers") { Description = "'logits' or receiver head inputs, e.g. 9.9:q,9.6:q,10.0:q (LAYER.HEAD:q|k|v).", Required = true };
        var source = new Option<string?>("--source") { Description = "JSONL of source prompts (field 'prompt', else 'corrupt'), one per pair, e.g. the ABC dataset; default: the pairs' corrupted prompts." };
        var output = new Option<string>("--out", "-o") { Description = "Output directory.", Required = true }.OutputDirectory();
        var plain = new Option<bool>("--plain") { Description = "Use the reference engine (hooked full forward passes) instead of the fast one." };
        var noPlots = new Option<bool>("--no-plots") { Description = "Skip the SVG/PNG map." };
        var command = new Command("path-patch", "Path patching (IOI paper): each sender head's effect on the logits or on receiver heads' q/k/v, through direct paths only.")
            { pairs, receivers, source, output, plain, noPlots };
        model.AddTo(command);
        var device = new DeviceOptions();
        device.AddTo(command);
        var chunk = new Option<int?>("--chunk-size") { Description = "Pairs per batch (the unit a shard by pairs takes whole). Default: every pair in one batch, or what --max-memory allows." };
        command.Options.Add(chunk);
        var memory = new MemoryOptions();
        memory.AddTo(command);
        var shards = new ShardOptions();
        shards.AddTo(command);
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            if (r.GetValue(chunk) is < 1) throw new CircuitLensException("--chunk-size must be at least 1");
            long? budget = memory.Budget(r);
            var shardRequest = shards.Request(r, r.GetValue(model.Model)!);
            var m = device.Apply(r, model.Load(r, ct));
            string outDir = r.GetValue(output)!;
            var options = new PathPatchOptions
            {
                PairsPath = r.GetValue(pairs)!, Receivers = r.GetValue(receivers)!, SourcePath = r.GetValue(source),
                PrependBos = model.PrependBos(r), Plain = r.GetValue(plain), Plots = !r.GetValue(noPlots), ChunkSize = r.GetValue(chunk),
            };
            (options, var plan) = PathPatchTask.PlanMemory(m, options, budget);
            Cli.Stderr.Info(plan.Summary);
            IProgress<PatchingProgress> Senders(IProgress<JobProgress> progress) =>
                new SyncProgress<PatchingProgress>(p => progress.Report(new JobProgress((double)p.Done / Math.Max(1, p.Total), $"{p.Done}/{p.Total} senders")));
            if (shardRequest is { } request)
            {
                var done = ProgressDisplay.Run($"path patching shard {request.Shard}", progress => PathPatchShards.Run(m, options, outDir, request, Senders(progress), ct));
                foreach (var note in done.Notes) Cli.Stderr.Info(note);
            }
            else ProgressDisplay.Run("path patching", progress => PathPatchTask.Run(m, options, outDir, Senders(progress), ct));
            Console.Out.WriteLine(Path.GetFullPath(outDir));
            return ExitCodes.Ok;
        })));
        return command;
    }
}
