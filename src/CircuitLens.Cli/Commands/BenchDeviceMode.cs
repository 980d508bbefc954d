// `bench forward --device D` / `bench patch --device D` for the ILGPU devices: forward throughput and the
// achieved GFLOP/s (against the card's fp32 peak on CUDA), and the fast exact engine's sweep on the device,
// whole batch vs one pair at a time, next to the same sweep on the cpu engine (and, with
// --baseline-components k > 0, k components of the plain engine on both). Then attribution patching on the
// device next to the cpu engine. Every device row is checked against the cpu engine's numbers first (the same
// tolerance as the tests, 1e-4 + 1e-3·|x|): a device that disagrees gets no speed row, only the error, so a
// machine without the test project (a published CLI on a GPU machine) still proves what it times.
using System.Diagnostics;
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Patching;

namespace CircuitLens.Cli.Commands;

internal static class BenchDeviceMode
{
    public static List<(string, string)> Forward(HookedTransformer m, DeviceKind device, TokenBatch tokens, int repeats)
    {
        m.To(device);
        int B = tokens.BatchSize, T = tokens.SeqLen;
        var warm = Stopwatch.StartNew();
        var onDevice = m.Forward(tokens, LogitsMode.LastPosition);   // warm-up: kernel compilation, workspace
        double first = warm.Elapsed.TotalSeconds, best = double.MaxValue;
        m.To(DeviceKind.Cpu);
        string agreement = DeviceAgreement.Check($"{device.Name()} logits", onDevice.Data, m.Forward(tokens, LogitsMode.LastPosition).Data);
        m.To(device);
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            m.Forward(tokens, LogitsMode.LastPosition);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        double gflops = BenchCommand.ForwardFlops(m.Config, B, T) / best / 1e9;
        return
        [
            ("model", m.Config.ModelName), ("device", m.DeviceDescription), ("batch × seq", $"{B} × {T} = {B * T} tokens"),
            ("agreement with the cpu engine", agreement),
            ("first call (compiles kernels)", $"{first:F2} s"), ("time (best)", $"{best * 1000:F1} ms"), ("tokens/s", $"{B * T / best:F0}"),
            ("achieved GFLOP/s", $"{gflops:F1}"),
            ("device fp32 peak GFLOP/s", m.DevicePeakGflops is double p ? $"{p:F0} (SMs × FP32 lanes × 2 × clock)" : "unknown (not a CUDA device)"),
            ("fraction of peak", m.DevicePeakGflops is double pk ? $"{gflops / pk:P1}" : "-"),
            ("device memory held (weights + activations)", $"{m.DeviceMemoryBytes / 1e9:F3} GB"),
            ("peak host working set", $"{Process.GetCurrentProcess().PeakWorkingSet64 / 1e9:F2} GB"),
        ];
    }

    // The fast exact sweep on the cpu engine and on the device (as `patch` runs it: chunks of pairs through PatchingJob),
    // the device one pair at a time, then (k > 0) k components of the plain engine on both, extrapolated.
    public static List<(string, string)> Patch(HookedTransformer m, DeviceKind device, PatchingBatch data, Sweep s, int components, int chunkSize, int k)
    {
        long patches = (long)components * data.Count;
        var job = new PatchingJobOptions { Sweeps = [s], ChunkSize = chunkSize };
        var lines = new List<(string, string)>();
        FastActivationPatching.Run(m, data.Slice(0, Math.Min(2, data.Count)), s);   // warm-up
        PatchingJobResult? cpuResult = null, deviceResult = null;
        double cpu = Time(() => cpuResult = PatchingJob.Run(m, data, job));
        lines.Add(("cpu fast exact sweep, whole batch", $"{cpu:F2} s = {patches / cpu:F0} patched runs/s (chunks of {chunkSize} pairs)"));
        k = Math.Min(k, components - 1);
        double cpuPlain = k > 0 ? PlainSweepTiming.Seconds(m, data, s, k) : 0;
        m.To(device);
        lines.Insert(0, ("device", m.DeviceDescription));
        var warm = Stopwatch.StartNew();
        FastActivationPatching.Run(m, data.Slice(0, Math.Min(2, data.Count)), s);   // warm-up: kernel compilation, workspaces
        lines.Add(($"{device.Name()} first call (compiles kernels)", $"{warm.Elapsed.TotalSeconds:F2} s"));
        var (up0, down0) = m.DeviceEngineTransferBytes;
        double batch = Time(() => deviceResult = PatchingJob.Run(m, data, job));
        var (up1, down1) = m.DeviceEngineTransferBytes;
        lines.Add(($"{device.Name()} fast exact sweep vs the cpu engine", DeviceAgreement.Check($"{device.Name()} fast exact {s.Name}",
            deviceResult!.Exact[0].Patched.Data, cpuResult!.Exact[0].Patched.Data)));
        lines.Add(($"{device.Name()} fast exact sweep, whole batch", $"{batch:F2} s = {patches / batch:F0} patched runs/s (chunks of {chunkSize} pairs): {cpu / batch:F2}× the cpu engine"));
        lines.Add(($"{device.Name()} fast exact sweep's own copies", $"{(up1 - up0) / 1e6:F1} MB up (corrupted k/v, starting rows, head dz), {(down1 - down0) / 1e6:F2} MB down (final rows); the clean and corrupted runs' caches come down through hooks as well"));
        int singles = Math.Min(data.Count, 8);
        double one = 0;
        for (int b = 0; b < singles; b++) one += Time(() => FastActivationPatching.Run(m, data.Slice(b, 1), s));
        lines.Add(($"{device.Name()} fast exact sweep, one pair at a time", $"{one:F2} s for the first {singles} pairs = {(double)components * singles / one:F0} patched runs/s"));
        if (k > 0)
        {
            double devicePlain = PlainSweepTiming.Seconds(m, data, s, k);
            lines.Add(("cpu plain sweep (baseline), whole batch", Rate(k, data.Count, cpuPlain)));
            lines.Add(($"{device.Name()} plain sweep (baseline), whole batch", Rate(k, data.Count, devicePlain)));
            double rate = k * data.Count / devicePlain;
            lines.Add(($"{device.Name()} full plain sweep (extrapolated)", $"{patches} patched runs ≈ {patches / rate:F0} s: the fast exact sweep is {patches / rate / batch:F1}× faster"));
        }
        lines.Add(("device memory held (weights + forward arena)", $"{m.DeviceMemoryBytes / 1e9:F3} GB"));
        lines.Add(("device memory of the fast exact engine (peak)", $"{m.DeviceEnginePeakBytes / 1e6:F1} MB (corrupted k/v + stacked rows, on top of the above)"));
        lines.Add(("peak host working set", $"{Process.GetCurrentProcess().PeakWorkingSet64 / 1e9:F2} GB"));
        return lines;
    }

    // Attribution patching of the 8 all-position sweeps (as the cpu `bench patch` times it) on the device, after a warm-up
    // on two pairs (kernel compilation), then the same on the cpu engine; leaves the model on the cpu.
    public static List<(string, string)> Attribution(HookedTransformer m, DeviceKind device, PatchingBatch data)
    {
        var sweeps = Sweep.Parse("heads-every,block-every");
        m.To(device);
        AttributionPatching.Run(m, data.Slice(0, Math.Min(2, data.Count)), sweeps);
        var clock = Stopwatch.StartNew();
        var deviceResults = AttributionPatching.Run(m, data, sweeps);
        double onDevice = clock.Elapsed.TotalSeconds;
        m.To(DeviceKind.Cpu);
        clock.Restart();
        var cpuResults = AttributionPatching.Run(m, data, sweeps);
        double cpu = clock.Elapsed.TotalSeconds;
        string agreement = DeviceAgreement.Check($"{device.Name()} attribution", deviceResults.SelectMany(r => r.Patched.Data).ToArray(),
            cpuResults.SelectMany(r => r.Patched.Data).ToArray());
        return
        [
            ($"{device.Name()} attribution vs the cpu engine", $"all {sweeps.Count} sweeps: {agreement}"),
            ($"{device.Name()} attribution ({sweeps.Count} sweeps)", $"{onDevice:F2} s for {data.Count} pairs (two forwards, one backward and the sums on the device)"),
            ($"cpu attribution ({sweeps.Count} sweeps)", $"{cpu:F2} s (device speed-up {cpu / onDevice:F2}×)"),
        ];
    }

    private static double Time(Action run)
    {
        var clock = Stopwatch.StartNew();
        run();
        return clock.Elapsed.TotalSeconds;
    }

    private static string Rate(int components, int pairs, double seconds) =>
        $"{components} components × {pairs} pairs in {seconds:F2} s = {components * pairs / seconds:F1} patched runs/s";
}
