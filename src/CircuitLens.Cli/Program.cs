// Entry point: builds the command tree. Each command lives in Commands/<Name>Command.cs.
using System.CommandLine;
using CircuitLens.Cli.Commands;

namespace CircuitLens.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("CircuitLens: mechanistic interpretability for GPT-2-family models.");
        var dataset = new Command("dataset", "Build datasets.");
        dataset.Subcommands.Add(DatasetIoiLlmCommand.Create());
        root.Subcommands.Add(dataset);
        var filter = new Command("filter", "Filter datasets.");
        filter.Subcommands.Add(FilterFormatCommand.Create());
        root.Subcommands.Add(filter);
        return root.Parse(args).Invoke();
    }
}
