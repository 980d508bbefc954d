// Attribution patching on an ILGPU device against the CPU engine, on the tiny fixture: every sweep
// attribution supports × the three metrics, each metric's pair file from the fixture (no BOS; the pairs
// differ in length, so the batch is left-padded), in chunks sorted by length and with a --layers
// selection; the clean and corrupted metrics also against the fixture's float64 values. Edge attribution
// (EAP, EAP-IG) on the device against the CPU path, edge by edge.
using CircuitLens.Circuits;
using CircuitLens.Patching;
using CircuitLens.Model;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Devices;

internal static class DeviceAttributionChecks
{
    // the fixture's pair file of each metric, and the folder of its expected metric values
    private static (PatchingBatch Data, string Expected) Pairs(string metric)
    {
        string folder = metric switch { "prob-diff" => "prob_diff", "logit-diff-to-max" => "logit_diff_to_max", _ => "circuits" };
        var file = PairFile.Read(TinyGpt2.Expected(folder == "circuits" ? "circuits" : Path.Combine("metrics", folder), "pairs.jsonl"));
        return (file.Tokenize(TinyGpt2.Model, prependBos: false).ToPatchingBatch(), folder);
    }

    public static void EverySweepMatchesTheCpuEngine(HookedTransformer m, string metric)
    {
        var (data, folder) = Pairs(metric);
        Assert.Equal(metric, data.Metric.Name);
        Assert.NotNull(m.IlgpuBackend);   // the device engine runs, not the CPU one
        var sweeps = Sweep.All.Where(AttributionPatching.Supports).ToList();
        Assert.Equal(Sweep.All.Count, sweeps.Count);
        var cpu = AttributionPatching.Run(TinyGpt2.Model, data, sweeps);
        var device = AttributionPatching.Run(m, data, sweeps);
        // metric values of order 1 (logit differences) or 1e-5 (probabilities of a random model): tolerances on that scale
        double scale = cpu[0].CleanMetric.Concat(cpu[0].CorruptMetric).Max(v => Math.Abs(v));
        for (int i = 0; i < sweeps.Count; i++)
        {
            Assert.Equal(cpu[i].Patched.Shape, device[i].Patched.Shape);
            Assert.Equal(metric, device[i].Metric);
            TensorAssert.Close(cpu[i].CleanMetric, device[i].CleanMetric, $"{m.Device} {metric} clean", 1e-4 * scale, 1e-3);
            TensorAssert.Close(cpu[i].CorruptMetric, device[i].CorruptMetric, $"{m.Device} {metric} corrupt", 1e-4 * scale, 1e-3);
            TensorAssert.Close(cpu[i].Patched, device[i].Patched, $"{m.Device} {metric} {sweeps[i].Name}", 1e-4 * scale, 1e-3);
            // the estimates are not all the corrupted metric (Δact·grad is not zero everywhere)
            Assert.Contains(device[i].Patched.Data.Select((v, j) => (v, j)), e => !float.IsNaN(e.v) && e.v != device[i].CorruptMetric[e.j / (device[i].Patched.Length / data.Count)]);
        }
        // per-position sweeps: NaN exactly where the CPU engine has NaN (past each pair's length)
        var resid = sweeps.FindIndex(s => s.Name == "resid-pre");
        Assert.Equal(cpu[resid].Patched.Data.Select(float.IsNaN), device[resid].Patched.Data.Select(float.IsNaN));
        if (folder != "circuits")
        {
            var (atol, rtol) = folder == "prob_diff" ? (1e-7, 1e-4) : (1e-4, 1e-3);
            TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("metrics", folder, "clean_metric.npy")).Data, device[0].CleanMetric, $"{m.Device} clean {metric} vs fixture", atol, rtol);
            TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("metrics", folder, "corrupt_metric.npy")).Data, device[0].CorruptMetric, $"{m.Device} corrupt {metric} vs fixture", atol, rtol);
        }
        else
        {
            TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", "clean_logit_diff.npy")).Data, device[0].CleanMetric, $"{m.Device} clean logit diff vs fixture");
            TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", "corrupt_logit_diff.npy")).Data, device[0].CorruptMetric, $"{m.Device} corrupt logit diff vs fixture");
        }
    }

    public static void ChunksAndLayerSelectionsMatchTheCpuEngine(HookedTransformer m)
    {
        var (data, _) = Pairs("logit-diff-to-max");
        Assert.True(data.Corrupt.IsPadded, "the pairs should differ in length");
        var sweeps = new[] { Sweep.HeadZ.WithLayers([2, 0]), Sweep.ResidPre.WithLayers([1]), Sweep.HeadPatternByPos, Sweep.MlpPostNeuron.WithLayers([2]) };
        var cpu = AttributionPatching.Run(TinyGpt2.Model, data, sweeps, chunkSize: 2);
        var device = AttributionPatching.Run(m, data, sweeps, chunkSize: 2);
        var whole = AttributionPatching.Run(m, data, sweeps);
        double scale = cpu[0].CleanMetric.Concat(cpu[0].CorruptMetric).Max(v => Math.Abs(v));
        for (int i = 0; i < sweeps.Length; i++)
        {
            TensorAssert.Close(cpu[i].Patched, device[i].Patched, $"{m.Device} chunks of 2, {sweeps[i].Name}", 1e-4 * scale, 1e-3);
            TensorAssert.Close(whole[i].Patched, device[i].Patched, $"{m.Device} chunks of 2 vs one chunk, {sweeps[i].Name}", 1e-4 * scale, 1e-3);
        }
        Assert.Equal(2, device[0].Patched.Dim(1));
    }

    public static void EdgeAttributionMatchesTheCpu(HookedTransformer m)
    {
        Assert.NotNull(m.IlgpuBackend);
        // the circuits fixture's logit-diff pairs, and the padded logit-diff-to-max pairs
        foreach (var (data, what) in new[] { (CircuitLens.Tests.Circuits.CircuitFixtures.Batch(), "logit-diff"), (Pairs("logit-diff-to-max").Data, "logit-diff-to-max") })
            foreach (var (method, steps) in new[] { (EdgeMethod.Eap, 1), (EdgeMethod.EapIg, 3) })
            {
                var cpu = EdgeAttribution.Run(TinyGpt2.Model, data, method, steps, rowsPerChunk: 5);
                var device = EdgeAttribution.Run(m, data, method, steps, rowsPerChunk: 5);
                Assert.Equal(cpu.Senders, device.Senders);
                Assert.Equal(cpu.Receivers, device.Receivers);
                double scale = 0;
                foreach (double v in cpu.Scores) if (!double.IsNaN(v)) scale = Math.Max(scale, Math.Abs(v));
                Assert.True(scale > 0, "every edge score is zero");
                for (int s = 0; s < cpu.Senders.Count; s++)
                    for (int r = 0; r < cpu.Receivers.Count; r++)
                    {
                        double want = cpu.Scores[s, r], got = device.Scores[s, r];
                        string edge = $"{m.Device} {what} {method}: {cpu.Senders[s]} -> {cpu.Receivers[r]}";
                        if (double.IsNaN(want)) { Assert.True(double.IsNaN(got), $"{edge} is {got}, expected no edge"); continue; }
                        Assert.True(Math.Abs(got - want) <= 1e-4 * scale + 1e-3 * Math.Abs(want), $"{edge} scores {got}, expected {want} (scale {scale:G3})");
                    }
            }
    }
}
