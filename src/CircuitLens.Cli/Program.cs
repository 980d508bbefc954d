// Entry point: builds the command tree. Each command lives in Commands/<Name>Command.cs.
using System.CommandLine;
using CircuitLens.Cli.Commands;
using CircuitLens.Tokenization;

namespace CircuitLens.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var parsed = BuildRoot().Parse(args, CommandLineRules.Parser);
        return CommandLineRules.ReportParseErrors(parsed)
            ?? Cli.Run(() => parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
    }

    public static RootCommand BuildRoot()
    {
        Func<string, int[]> encode = text => Gpt2Tokenizer.Default.Encode(text);
        var root = new RootCommand("CircuitLens: mechanistic interpretability for GPT-2-family models (TransformerLens for .NET).");
        root.Subcommands.Add(LogitsCommand.Create());
        root.Subcommands.Add(TokenizeCommand.Create());
        root.Subcommands.Add(CacheCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(DownloadCommand.Create());
        root.Subcommands.Add(PatchCommand.Create());
        root.Subcommands.Add(IoiCommand.Create());
        root.Subcommands.Add(GreaterThanCommand.Create());
        root.Subcommands.Add(AcronymsCommand.Create());
        root.Subcommands.Add(InductionCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(PathPatchCommand.Create());
        root.Subcommands.Add(CircuitCommand.Create());
        root.Subcommands.Add(HeadsCommand.Create());
        root.Subcommands.Add(ToyCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(DevicesCommand.Create());

        var dataset = new Command("dataset", "Generate task datasets (JSONL).");
        dataset.Subcommands.Add(DatasetIoiCommand.Create());
        dataset.Subcommands.Add(DatasetIoiLlmCommand.Create(encode));
        dataset.Subcommands.Add(DatasetGreaterThanCommand.Create());
        dataset.Subcommands.Add(DatasetAcronymsCommand.Create());
        dataset.Subcommands.Add(DatasetInductionCommand.Create());
        root.Subcommands.Add(dataset);

        var filter = new Command("filter", "Filter datasets: by format (regex) or by model correctness.");
        filter.Subcommands.Add(FilterFormatCommand.Create(encode));
        filter.Subcommands.Add(FilterModelCommand.Create());
        root.Subcommands.Add(filter);
        CommandLineRules.Apply(root);
        return root;
    }
}
