// `--max-memory SIZE` (24G, 512M, …): the memory budget the library's PatchingMemoryPlan keeps the
// patching stage under; without it the device's default budget (see PatchingMemoryPlan). Parsing only.
using System.CommandLine;
using CircuitLens.Patching;

namespace CircuitLens.Cli;

internal sealed class MemoryOptions
{
    public Option<string?> MaxMemory { get; } = new("--max-memory")
    {
        Description = "Memory budget for weights + caches + workspaces, e.g. 24G or 512M; chunks are chosen to stay under it (default: the GPU's memory for cuda, 90 % of the available RAM otherwise).",
    };

    public void AddTo(Command command) => command.Options.Add(MaxMemory);

    /// <summary>The budget in bytes, or null for the device's default.</summary>
    public long? Budget(ParseResult r) => r.GetValue(MaxMemory) is { } text ? ByteSize.Parse(text) : null;
}
