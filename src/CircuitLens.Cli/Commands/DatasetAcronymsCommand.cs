// `circuitlens dataset acronyms`: writes acronym prompts as pair-file JSONL (metric
// logit-diff-to-max over the 26 capital letters), three rows per acronym (field `step`).
using System.CommandLine;
using CircuitLens.Tasks.Acronyms;

namespace CircuitLens.Cli.Commands;

internal static class DatasetAcronymsCommand
{
    public static Command Create()
    {
        var n = new Option<int>("--n") { Description = "Number of acronyms (each gives three rows, one per letter).", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same rows.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Output JSONL file, or - for stdout.", Required = true };
        var command = new Command("acronyms", "Generate acronym prompts (\"The Ketchup Lark Wreck (KL\" → W) as JSONL, metric logit-diff-to-max, one row per predicted letter.")
        {
            n, seed, output,
        };
        command.SetAction(r => Cli.Run(() =>
        {
            var dataset = AcronymDatasetGenerator.Generate(new AcronymDatasetOptions { N = r.GetValue(n), Seed = r.GetValue(seed) });
            DatasetOutput.Write(r.GetValue(output)!, dataset.Pairs.Select(p => p.ToJson()));
            if (dataset.DroppedNouns.Count > 0)
                Cli.Stderr.Info($"dropped {dataset.DroppedNouns.Count} noun(s) that are not \" X\" + one token: {string.Join(", ", dataset.DroppedNouns)}");
            Cli.Stderr.Info($"generated {dataset.Pairs.Count / 3} acronyms, {dataset.Pairs.Count} rows (seed {r.GetValue(seed)})");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
