// `circuitlens path-patch`: path patching of every sender head into the logits or into receiver heads'
// q/k/v inputs; writes path-patch.npy [batch, layer, head], its normalised forms, maps and path-patch.json.
// --device runs either engine on an ILGPU device (the fast one's step-1 rows through the device block).
using System.CommandLine;
using CircuitLens.Patching;
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
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            var m = device.Apply(r, model.Load(r, ct));
            string outDir = r.GetValue(output)!;
            var options = new PathPatchOptions
            {
                PairsPath = r.GetValue(pairs)!, Receivers = r.GetValue(receivers)!, SourcePath = r.GetValue(source),
                PrependBos = model.PrependBos(r), Plain = r.GetValue(plain), Plots = !r.GetValue(noPlots),
            };
            ProgressDisplay.Run("path patching", progress => PathPatchTask.Run(m, options, outDir,
                new SyncProgress<PatchingProgress>(p => progress.Report(new JobProgress((double)p.Done / Math.Max(1, p.Total), $"{p.Done}/{p.Total} senders"))), ct));
            Console.Out.WriteLine(Path.GetFullPath(outDir));
            return ExitCodes.Ok;
        })));
        return command;
    }
}
