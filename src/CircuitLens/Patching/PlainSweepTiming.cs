// How long the plain engine (one full hooked forward of the batch per component) takes for k components,
// for benchmarks that extrapolate a full plain sweep: timed between its progress reports after components
// 1 and k+1, so its set-up forwards (clean cache, baselines) are not counted, then stopped (the whole sweep
// would take minutes). Shared by `circuitlens bench patch` and the PyTorch comparison, so both time the
// same thing.
using System.Diagnostics;
using CircuitLens.Model;

namespace CircuitLens.Patching;

public static class PlainSweepTiming
{
    /// <summary>Seconds for <paramref name="k"/> components of <paramref name="sweep"/> on the model's device.</summary>
    public static double Seconds(HookedTransformer model, PatchingBatch data, Sweep sweep, int k)
    {
        using var stop = new CancellationTokenSource();
        var clock = new Stopwatch();
        double seconds = 0;
        var progress = new SyncProgress<PatchingProgress>(p =>
        {
            if (p.Done == 1) clock.Start();
            if (p.Done == k + 1) { seconds = clock.Elapsed.TotalSeconds; stop.Cancel(); }
        });
        try { ActivationPatching.Run(model, data, sweep, progress, stop.Token); }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        return seconds;
    }
}
