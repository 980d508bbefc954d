// Ctrl+C in a command that keeps finished work: the interruption carries the sentence that says how
// to continue (for `patch`, running the same command again; for `ioi`, --resume DIR), and Cli.Run
// prints it as the one error line with exit 130.
namespace CircuitLens.Cli;

internal sealed class RunInterruptedException(string message) : OperationCanceledException(message)
{
    /// <summary>Runs <paramref name="body"/>; a cancellation becomes "interrupted: <paramref name="howToContinue"/>".</summary>
    public static T Wrap<T>(string howToContinue, Func<T> body)
    {
        try { return body(); }
        catch (OperationCanceledException e) when (e is not RunInterruptedException)
        {
            throw new RunInterruptedException($"interrupted; {howToContinue}");
        }
    }
}
