namespace CircuitLens;

/// <summary>An IProgress that reports on the calling thread, in order (System.Progress posts to the thread pool,
/// so its reports can arrive late or out of order in a console program).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
