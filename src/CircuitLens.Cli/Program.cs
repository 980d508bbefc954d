// Entry point: builds the command tree. Each command lives in Commands/<Name>Command.cs.
using System.CommandLine;
using CircuitLens.Cli.Commands;

namespace CircuitLens.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("CircuitLens: mechanistic interpretability for GPT-2-family models (TransformerLens for .NET).");
        root.Subcommands.Add(LogitsCommand.Create());
        root.Subcommands.Add(CacheCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(DownloadCommand.Create());
        var dataset = new Command("dataset", "Generate task datasets (JSONL).");
        dataset.Subcommands.Add(DatasetIoiCommand.Create());
        root.Subcommands.Add(dataset);
        return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }
}
