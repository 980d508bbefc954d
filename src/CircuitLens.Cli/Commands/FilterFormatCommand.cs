// `circuitlens filter format`: keeps the well-formed IOI pairs of a JSONL file (see FormatFilter for the rules),
// prints the rejections per reason on stderr, and saves kept rows, rejected rows and a report, each atomically.
using System.CommandLine;
using CircuitLens.Tasks.Filtering;
using Spectre.Console;

namespace CircuitLens.Cli.Commands;

internal static class FilterFormatCommand
{
    /// <param name="encode">GPT-2 encoder for the single-token and equal-length checks; null skips them.</param>
    public static Command Create(Func<string, int[]>? encode = null)
    {
        var input = new Option<string>("--in") { Description = "JSONL rows with at least \"clean\" and \"corrupt\"", Required = true };
        var output = new Option<string>("--out") { Description = "JSONL file for the accepted pairs", Required = true }.OutputFile();
        var rejects = new Option<string?>("--rejects") { Description = "JSONL file for rejected rows with their reason" }.OutputFile();
        var report = new Option<string?>("--report") { Description = "JSON file with counts per reason" }.OutputFile();
        var command = new Command("format", "Keep only well-formed IOI S2-swap pairs; report why the others were rejected.")
        {
            input, output, rejects, report,
        };
        command.SetAction(parseResult =>
        {
            try
            {
                string inPath = parseResult.GetValue(input)!;
                var result = FormatFilter.FilterFile(inPath, encode);
                FormatFilterJsonl.WritePairs(parseResult.GetValue(output)!, result.Accepted);
                if (parseResult.GetValue(rejects) is { } rejectsPath) FormatFilterJsonl.WriteRejections(rejectsPath, result.Rejected);
                if (parseResult.GetValue(report) is { } reportPath)
                    FormatFilterJsonl.WriteJson(reportPath, FormatFilterJsonl.Report(inPath, result.Accepted.Count, result.CountsByReason));
                PrintRejectTable(result.CountsByReason, $"kept {result.Accepted.Count} of {result.Total} rows from {inPath}");
                return 0;
            }
            catch (CircuitLensException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Prints a summary line and the rejection counts per reason as a table on stderr (stdout stays free for data).</summary>
    internal static void PrintRejectTable(IReadOnlyDictionary<string, int> counts, string summary)
    {
        // Created per call, not cached, so it follows Console.Error if that is redirected.
        var stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        Console.Error.WriteLine(summary); // plain, so Spectre does not wrap long paths
        if (counts.Count == 0) return;
        var table = new Table().AddColumn("reason").AddColumn(new TableColumn("count").RightAligned()).AddColumn("meaning");
        foreach (var (code, n) in counts)
            table.AddRow(Markup.Escape(code), n.ToString(), Markup.Escape(FormatRejectReason.Describe(code)));
        stderr.Write(table);
    }
}
