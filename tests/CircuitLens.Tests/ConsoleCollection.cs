// The xunit collection for tests that swap Console.Out/Console.Error (process-global) to run the CLI
// in-process. It runs alone, after the parallel collections, so no other test's console output (or
// another capture) can leak into a captured stream.
namespace CircuitLens.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console (stdout/stderr capture)";
}
