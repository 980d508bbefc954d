// `circuitlens dataset induction`: writes repeated-random-token rows as pair-file JSONL in token ids
// (clean_ids, corrupt_ids, answer_id, wrong_id; metric logit-diff).
using System.CommandLine;
using CircuitLens.Tasks.Induction;

namespace CircuitLens.Cli.Commands;

internal static class DatasetInductionCommand
{
    public static Command Create()
    {
        var n = new Option<int>("--n") { Description = "Number of rows to generate.", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same rows.", DefaultValueFactory = _ => 0 };
        var length = new Option<int>("--length") { Description = "Tokens in the random block that is repeated.", DefaultValueFactory = _ => 20 };
        var output = new Option<string>("--out") { Description = "Output JSONL file, or - for stdout.", Required = true };
        var command = new Command("induction", "Generate induction rows (a random block of word tokens, then the block again) as JSONL token ids, metric logit-diff.")
        {
            n, seed, length, output,
        };
        command.SetAction(r => Cli.Run(() =>
        {
            var pairs = InductionDatasetGenerator.Generate(new InductionDatasetOptions { N = r.GetValue(n), Seed = r.GetValue(seed), Length = r.GetValue(length) });
            DatasetOutput.Write(r.GetValue(output)!, pairs.Select(p => p.ToJson()));
            Cli.Stderr.Info($"generated {pairs.Count} induction rows, block length {r.GetValue(length)} (seed {r.GetValue(seed)})");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
