// Entry point: builds the command tree. Each command lives in Commands/<Name>Command.cs.
using System.CommandLine;
using CircuitLens.Cli.Commands;

namespace CircuitLens.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("CircuitLens: mechanistic interpretability for GPT-2-family models.");
        var dataset = new Command("dataset", "Generate task datasets (JSONL).");
        dataset.Subcommands.Add(DatasetIoiCommand.Create());
        root.Subcommands.Add(dataset);
        root.Subcommands.Add(DownloadCommand.Create());
        return root.Parse(args).Invoke();
    }
}
