// `circuitlens filter model`: keep only the pairs the model gets right (any pair file; see CorrectnessFilter
// for what "right" means per metric). The work is the library's CorrectnessStage.
using System.CommandLine;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Pairs;

namespace CircuitLens.Cli.Commands;

internal static class FilterModelCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var device = new DeviceOptions();
        var input = new Option<string>("--in") { Description = "Pairs JSONL to check.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "JSONL of the kept pairs.", Required = true }.OutputFile();
        var mode = new Option<string>("--mode") { Description = "top1: top-1 token is an answer on clean (logit-diff S2 swaps: and the competing name on corrupted); sign: only the metric's sign (clean > 0; logit-diff S2 swaps: corrupted < 0).", DefaultValueFactory = _ => "top1" };
        mode.AcceptOnlyFromAmong("top1", "sign");
        var report = new Option<string?>("--report") { Description = "JSON report (default: <out>.report.json)." }.OutputFile();
        var command = new Command("model", "Keep the pairs the model gets right (correctness filter); report counts per reason and logit differences.") { input, output, mode, report };
        model.AddTo(command);
        device.AddTo(command);
        command.DerivedOutputFile(output, ".report.json", unless: report);
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            string inPath = r.GetValue(input)!, outPath = r.GetValue(output)!;
            var m = device.Apply(r, model.Load(r, ct));
            var rows = PairFile.Read(inPath);
            var result = FilterModelStage.Run(m, rows, model.PrependBos(r), CorrectnessFilter.ParseMode(r.GetValue(mode)!), outPath,
                r.GetValue(report) ?? outPath + ".report.json", ct);
            if (result.Kept.Count == 0)
                throw new CircuitLensException($"no pair survived the correctness filter ({rows.Count} checked); {outPath} is empty — try --mode sign or another model");
            return ExitCodes.Ok;
        })));
        return command;
    }
}
