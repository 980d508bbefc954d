// Fixture inputs for the CLI tests: the tiny model's directory, its prompts, and its 4 IOI pairs as
// a JSONL file in a caller's temporary directory.
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

public static class CliFixture
{
    public static string Model => TinyGpt2.ModelDir;

    public static string Prompt0 => TinyGpt2.Prompts[0];

    /// <summary>Writes the fixture's 4 pairs (clean, corrupt, answer, wrong) to <paramref name="dir"/>/pairs.jsonl.</summary>
    public static string WritePairs(string dir)
    {
        string path = Path.Combine(dir, "pairs.jsonl");
        IoiJsonl.Write(path, TinyGpt2.Pairs.Select(p => new IoiPair { Clean = p.Clean, Corrupt = p.Corrupt, Answer = p.Answer, Wrong = p.Wrong }));
        return path;
    }
}
