// `circuitlens bench path-patch`: times path patching of every sender head into the logits (and
// optionally into receiver heads' inputs) on template IOI pairs, on random GPT-2-small-shaped weights
// unless --model is given; the plain (hooked) engine is timed on a few senders and extrapolated. With
// --device D the fast engine is timed on the cpu and then on the device, and the plain baseline runs on the device.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Patching;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tensors;

namespace CircuitLens.Cli.Commands;

internal static class BenchPathPatchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model directory or hub id; default: random weights in GPT-2 small's shapes." };
        var threads = new Option<int>("--threads") { Description = "GEMM threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var pairs = new Option<int>("--pairs") { Description = "IOI pairs (template dataset, seed 0).", DefaultValueFactory = _ => 100 };
        var receivers = new Option<string>("--receivers") { Description = "Receivers to time ('logits' or L.H:q|k|v,…).", DefaultValueFactory = _ => "logits" };
        var baseline = new Option<int>("--baseline-senders") { Description = "Senders of the plain engine to time (extrapolated to all); 0 skips it.", DefaultValueFactory = _ => 3 };
        var eap = new Option<bool>("--eap") { Description = "Also time edge attribution patching (EAP, and EAP-IG with 5 steps) on the same pairs." };
        var command = new Command("path-patch", "Time path patching (every sender head × the pairs) with the fast engine, and the plain engine as baseline.") { model, threads, pairs, receivers, baseline, eap };
        var device = new DeviceOptions();
        device.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            var kind = device.Kind(r);
            Gemm.MaxThreads = r.GetValue(threads);
            var m = r.GetValue(model) is { } dir ? HookedTransformer.FromPretrained(dir) : new HookedTransformer(Gpt2Weights.Random(Gpt2Config.Gpt2Small));
            var rows = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = r.GetValue(pairs), Seed = 0 }).Pairs;
            var data = new IoiTokenizedPairs(m, rows, prependBos: true).ToPatchingBatch();
            var rec = PathReceivers.Parse(r.GetValue(receivers)!, m.Config.NLayers, m.Config.NHeads);
            int senders = rec.EarliestLayer(m.Config.NLayers) * m.Config.NHeads;
            PathPatching.Run(m, data.Slice(0, Math.Min(2, data.Count)), rec);   // warm-up (JIT, packing)
            var clock = Stopwatch.StartNew();
            PathPatching.Run(m, data, rec);
            double fast = clock.Elapsed.TotalSeconds;
            var lines = new List<(string, string)>
            {
                ("model", m.Config.ModelName), ("threads", Gemm.MaxThreads.ToString(CultureInfo.InvariantCulture)),
                ("pairs", $"{data.Count} (tokens per prompt {data.Clean.Lengths.Min()}–{data.SeqLen}, BOS)"),
                ("receivers", $"{rec} ({senders} senders)"),
                ("fast engine", $"{fast:F1} s"),
            };
            if (kind != DeviceKind.Cpu)
            {
                device.Apply(r, m);
                var warm = Stopwatch.StartNew();
                PathPatching.Run(m, data.Slice(0, Math.Min(2, data.Count)), rec);   // warm-up: kernel compilation
                lines.Add(($"{kind.Name()} first call", $"{warm.Elapsed.TotalSeconds:F2} s (compiles kernels)"));
                var onDevice = Stopwatch.StartNew();
                PathPatching.Run(m, data, rec);
                double t = onDevice.Elapsed.TotalSeconds;
                lines.Add(("device", m.DeviceDescription));
                lines.Add(($"fast engine on {kind.Name()}", $"{t:F2} s ({fast / t:F2}× the cpu)"));
                fast = t;   // the baseline below runs on the device: compare like with like
            }
            if (r.GetValue(baseline) is int k and > 0)
            {
                k = Math.Min(k, senders - 1);
                using var stop = new CancellationTokenSource();
                var plainClock = new Stopwatch();
                double seconds = 0;
                var progress = new SyncProgress<PatchingProgress>(p =>
                {
                    if (p.Done == 1) plainClock.Start();
                    if (p.Done == k + 1) { seconds = plainClock.Elapsed.TotalSeconds; stop.Cancel(); }
                });
                try { PathPatching.RunPlain(m, data, rec, progress, stop.Token); }
                catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
                double full = seconds / k * senders;
                lines.Add((kind == DeviceKind.Cpu ? "plain engine (baseline)" : $"plain engine on {kind.Name()} (baseline)", $"{k} senders in {seconds:F1} s → all {senders} ≈ {full:F0} s (extrapolated)"));
                lines.Add(("speed-up", $"{full / fast:F1}×"));
            }
            if (r.GetValue(eap))
            {
                var e = Stopwatch.StartNew();
                var edges = EdgeAttribution.Run(m, data, EdgeMethod.Eap);
                string on = kind == DeviceKind.Cpu ? "" : $" on {kind.Name()}";   // EAP follows the model's device
                lines.Add(($"EAP (all edges){on}", $"{e.Elapsed.TotalSeconds:F1} s ({edges.Edges().Count()} edges)"));
                var ig = Stopwatch.StartNew();
                EdgeAttribution.Run(m, data, EdgeMethod.EapIg, steps: 5);
                lines.Add(($"EAP-IG, 5 steps{on}", $"{ig.Elapsed.TotalSeconds:F1} s"));
            }
            lines.Add(("peak working set", $"{Process.GetCurrentProcess().PeakWorkingSet64 / 1e9:F2} GB"));
            Console.Out.WriteLine($"# bench path-patch ({Environment.ProcessorCount} cores, .NET {Environment.Version})");
            foreach (var (key, value) in lines) Console.Out.WriteLine($"{key,-26} {value}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
