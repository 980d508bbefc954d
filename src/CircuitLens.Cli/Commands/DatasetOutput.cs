// Where the task dataset commands put their JSONL: a file (atomically, "wrote F" on stderr) or stdout for "-".
using System.Text.Json.Nodes;
using CircuitLens.Tasks;

namespace CircuitLens.Cli.Commands;

internal static class DatasetOutput
{
    public static void Write(string path, IEnumerable<JsonObject> rows)
    {
        if (path == "-") { TaskJsonl.Write(Console.Out, rows); return; }
        TaskJsonl.Write(path, rows);
        Cli.Stderr.Info($"wrote {path}");
    }
}
