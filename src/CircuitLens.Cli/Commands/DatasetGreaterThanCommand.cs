// `circuitlens dataset greater-than`: writes greater-than pairs (Hanna et al.) as pair-file JSONL
// (metric prob-diff). Messages go to stderr; stdout stays empty unless --out -.
using System.CommandLine;
using CircuitLens.Tasks;
using CircuitLens.Tasks.GreaterThan;

namespace CircuitLens.Cli.Commands;

internal static class DatasetGreaterThanCommand
{
    public static Command Create()
    {
        var n = new Option<int>("--n") { Description = "Number of pairs to generate.", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same rows.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Output JSONL file, or - for stdout.", Required = true };
        var command = new Command("greater-than", "Generate greater-than pairs (\"The war lasted from the year 1732 to the year 17\", corruption 1701) as JSONL, metric prob-diff.")
        {
            n, seed, output,
        };
        command.SetAction(r => Cli.Run(() =>
        {
            var pairs = GreaterThanDatasetGenerator.Generate(new GreaterThanDatasetOptions { N = r.GetValue(n), Seed = r.GetValue(seed) });
            DatasetOutput.Write(r.GetValue(output)!, pairs.Select(p => p.ToJson()));
            Cli.Stderr.Info($"generated {pairs.Count} greater-than pairs (seed {r.GetValue(seed)})");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
