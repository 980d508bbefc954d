// Runs one input through a target and classifies the outcome: accepted, rejected with CircuitLensException
// (both fine), or a finding — any other exception, or no answer within the time limit (a hang). Used by
// the CI replay tests and by `CircuitLens.Fuzzing replay`; AFL runs call the targets directly.
namespace CircuitLens.Fuzzing;

public enum FuzzOutcome { Accepted, Rejected, Crashed, Hung }

public sealed record FuzzResult(FuzzOutcome Outcome, Exception? Exception, TimeSpan Elapsed)
{
    public bool IsFinding => Outcome is FuzzOutcome.Crashed or FuzzOutcome.Hung;
}

public static class FuzzRunner
{
    public static FuzzResult Run(FuzzTarget target, byte[] input, TimeSpan timeout)
    {
        Exception? error = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // A thread of its own so a hang can be reported; a hung thread is left behind as a background thread.
        var thread = new Thread(() =>
        {
            try { target.Run(input); }
            catch (Exception e) { error = e; }
        }, maxStackSize: 16 << 20) { IsBackground = true, Name = "fuzz " + target.Name };
        thread.Start();
        if (!thread.Join(timeout)) return new FuzzResult(FuzzOutcome.Hung, null, clock.Elapsed);
        var outcome = error switch
        {
            null => FuzzOutcome.Accepted,
            CircuitLensException => FuzzOutcome.Rejected,
            _ => FuzzOutcome.Crashed,
        };
        return new FuzzResult(outcome, error, clock.Elapsed);
    }

    /// <summary>The committed seed inputs of a target, in a stable order.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> LoadCorpus(FuzzTarget target)
    {
        if (!Directory.Exists(target.CorpusDir)) return [];
        return Directory.GetFiles(target.CorpusDir).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))).ToList();
    }
}
