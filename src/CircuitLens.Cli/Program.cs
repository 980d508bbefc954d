// Entry point: builds the command tree. Each command lives in Commands/<Name>Command.cs.
using System.CommandLine;

namespace CircuitLens.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("CircuitLens: mechanistic interpretability for GPT-2-family models.");
        root.Subcommands.Add(Commands.DownloadCommand.Create());
        return root.Parse(args).Invoke();
    }
}
