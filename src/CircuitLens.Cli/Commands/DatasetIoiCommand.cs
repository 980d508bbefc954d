// `circuitlens dataset ioi`: writes a template-based IOI dataset (or the built-in demo set) as
// JSONL. Progress and the dropped-word report go to stderr; stdout stays empty unless --out -.
// It only generates data; running a model on it is the job of other commands.
using System.CommandLine;
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Cli.Commands;

internal static class DatasetIoiCommand
{
    public static Command Create()
    {
        var n = new Option<int>("--n") { Description = "Number of pairs to generate.", DefaultValueFactory = _ => 100 }.Range(1, CommandLineRules.MaxPairs);
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same rows.", DefaultValueFactory = _ => 0 };
        var pattern = new Option<string>("--pattern") { Description = "Name order: baba, abba or mixed (alternating).", DefaultValueFactory = _ => "mixed" };
        pattern.AcceptOnlyFromAmong("baba", "abba", "mixed");
        var corruption = new Option<string>("--corruption") { Description = "Corrupted prompt: s2-swap (S2 becomes IO) or abc (three other names).", DefaultValueFactory = _ => "s2-swap" };
        corruption.AcceptOnlyFromAmong("s2-swap", "abc");
        var builtin = new Option<string?>("--builtin") { Description = "Write a built-in set instead of generating: demo (8 prompts)." };
        builtin.AcceptOnlyFromAmong(IoiDemoSet.Name);
        var output = new Option<string>("--out") { Description = "Output JSONL file, or - for stdout.", Required = true }.OutputFile();

        var command = new Command("ioi", "Generate an IOI (indirect object identification) dataset of clean/corrupted prompt pairs as JSONL.")
        {
            n, seed, pattern, corruption, builtin, output,
        };
        command.SetAction(parseResult =>
        {
            TextWriter stderr = parseResult.InvocationConfiguration.Error;
            try
            {
                string outPath = parseResult.GetValue(output)!;
                IReadOnlyList<IoiPair> pairs;
                if (parseResult.GetValue(builtin) is { } name)
                {
                    pairs = IoiDemoSet.Pairs();
                    stderr.WriteLine($"built-in IOI set \"{name}\": {pairs.Count} pairs");
                }
                else
                {
                    var options = new IoiDatasetOptions
                    {
                        N = parseResult.GetValue(n),
                        Seed = parseResult.GetValue(seed),
                        Pattern = IoiOptionText.ParsePattern(parseResult.GetValue(pattern)!),
                        Corruption = IoiOptionText.ParseCorruption(parseResult.GetValue(corruption)!),
                    };
                    IoiDataset dataset = IoiDatasetGenerator.Generate(options);
                    pairs = dataset.Pairs;
                    ReportDropped(stderr, dataset.Dropped);
                    stderr.WriteLine($"generated {pairs.Count} IOI pairs (seed {options.Seed}, pattern {IoiOptionText.Format(options.Pattern)}, corruption {IoiOptionText.Format(options.Corruption)})");
                }

                if (outPath == "-")
                {
                    IoiJsonl.Write(parseResult.InvocationConfiguration.Output, pairs);
                }
                else
                {
                    IoiJsonl.Write(outPath, pairs);
                    stderr.WriteLine($"wrote {outPath}");
                }
                return 0;
            }
            catch (CircuitLensException ex)
            {
                stderr.WriteLine($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    private static void ReportDropped(TextWriter stderr, IReadOnlyList<IoiDroppedWord> dropped)
    {
        if (dropped.Count == 0) return;
        stderr.WriteLine($"dropped {dropped.Count} word(s) that are not single tokens:");
        foreach (IoiDroppedWord word in dropped) stderr.WriteLine($"  {word.Kind} {word.Word}: {word.Reason}");
    }
}
