// Runs `circuitlens` in-process through Program.Main with stdout and stderr captured, plus the checks
// every user-error test shares (exit 1, exactly one "error:" line, no stack trace). Callers must be in
// ConsoleCollection because Console redirection is process-global.
using CircuitLens.Cli;

namespace CircuitLens.Tests.Cli;

public sealed record CliResult(int Exit, string Stdout, string Stderr)
{
    public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>The "error: …" lines on stderr.</summary>
    public string[] ErrorLines => Stderr.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();

    public override string ToString() => $"exit {Exit}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

public static class CliRunner
{
    public static CliResult Run(params string[] args)
    {
        TextWriter savedOut = Console.Out, savedError = Console.Error;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try { return new CliResult(Program.Main(args), stdout.ToString(), stderr.ToString()); }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
        }
    }

    /// <summary>Runs and asserts success, showing the whole output when it fails.</summary>
    public static CliResult Ok(params string[] args)
    {
        var result = Run(args);
        Assert.True(result.Exit == 0, result.ToString());
        return result;
    }

    /// <summary>Asserts a user error: exit 1, one "error:" line containing every fragment, no stack trace; returns that line.</summary>
    public static string AssertUserError(CliResult result, params string[] fragments)
    {
        Assert.True(result.Exit == 1, result.ToString());
        var errors = result.ErrorLines;
        Assert.True(errors.Length == 1, result.ToString());
        foreach (var fragment in fragments) Assert.True(errors[0].Contains(fragment, StringComparison.Ordinal), $"'{fragment}' not in: {errors[0]}");
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr);
        return errors[0];
    }
}
