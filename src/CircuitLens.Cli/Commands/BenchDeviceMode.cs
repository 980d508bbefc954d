// `bench forward --device D` / `bench patch --device D` for the ILGPU devices: forward throughput and the
// achieved GFLOP/s (against the card's fp32 peak on CUDA), and the plain engine's patched runs per second
// on the device, whole batch vs one pair at a time, next to the same runs on the cpu engine; attribution
// patching on the device next to the cpu engine.
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
        m.Forward(tokens, LogitsMode.LastPosition);   // warm-up: kernel compilation, workspace
        double first = warm.Elapsed.TotalSeconds, best = double.MaxValue;
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
            ("first call (compiles kernels)", $"{first:F2} s"), ("time (best)", $"{best * 1000:F1} ms"), ("tokens/s", $"{B * T / best:F0}"),
            ("achieved GFLOP/s", $"{gflops:F1}"),
            ("device fp32 peak GFLOP/s", m.DevicePeakGflops is double p ? $"{p:F0} (SMs × FP32 lanes × 2 × clock)" : "unknown (not a CUDA device)"),
            ("fraction of peak", m.DevicePeakGflops is double pk ? $"{gflops / pk:P1}" : "-"),
            ("device memory held (weights + activations)", $"{m.DeviceMemoryBytes / 1e9:F3} GB"),
            ("peak host working set", $"{Process.GetCurrentProcess().PeakWorkingSet64 / 1e9:F2} GB"),
        ];
    }

    public static List<(string, string)> Patch(HookedTransformer m, DeviceKind device, PatchingBatch data, Sweep s, int components, int k)
    {
        k = Math.Max(1, Math.Min(k, components - 1));
        var lines = new List<(string, string)>();
        // the cpu engine first, with the same plain sweep, for the cpu-vs-device line
        double cpu = BenchCommand.TimePlainComponents(m, data, s, k);
        lines.Add(("cpu plain sweep, whole batch", Rate(k, data.Count, cpu)));
        m.To(device);
        lines.Insert(0, ("device", m.DeviceDescription));
        double batch = BenchCommand.TimePlainComponents(m, data, s, k);
        lines.Add(($"{device.Name()} plain sweep, whole batch", Rate(k, data.Count, batch)));
        int singles = Math.Min(data.Count, 8);
        double one = 0;
        for (int b = 0; b < singles; b++) one += BenchCommand.TimePlainComponents(m, data.Slice(b, 1), s, k);
        lines.Add(($"{device.Name()} plain sweep, one pair at a time", $"{Rate(k, singles, one)} (first {singles} pairs)"));
        double rate = (double)k * data.Count / batch;
        lines.Add(($"{device.Name()} full sweep (extrapolated)", $"{(long)components * data.Count} patched runs ≈ {components * data.Count / rate:F0} s"));
        lines.Add(("device memory held (weights + activations)", $"{m.DeviceMemoryBytes / 1e9:F3} GB"));
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
        AttributionPatching.Run(m, data, sweeps);
        double onDevice = clock.Elapsed.TotalSeconds;
        m.To(DeviceKind.Cpu);
        clock.Restart();
        AttributionPatching.Run(m, data, sweeps);
        double cpu = clock.Elapsed.TotalSeconds;
        return
        [
            ($"{device.Name()} attribution ({sweeps.Count} sweeps)", $"{onDevice:F2} s for {data.Count} pairs (two forwards, one backward and the sums on the device)"),
            ($"cpu attribution ({sweeps.Count} sweeps)", $"{cpu:F2} s (device speed-up {cpu / onDevice:F2}×)"),
        ];
    }

    private static string Rate(int components, int pairs, double seconds) =>
        $"{components} components × {pairs} pairs in {seconds:F2} s = {components * pairs / seconds:F1} patched runs/s";
}
