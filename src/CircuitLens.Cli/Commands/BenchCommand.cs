// `circuitlens bench patch` / `bench forward`: the end-to-end numbers users ask about, measured in
// one run on random weights in GPT-2-small shapes (or a real checkpoint): forward throughput against
// the GEMM's measured peak, the plain sweep as baseline, the fast exact sweep, attribution patching,
// one pair at a time vs whole batches, 1 vs 2 threads, and peak memory.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Patching.Metrics;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tensors;

namespace CircuitLens.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure performance (random GPT-2-small-shaped weights unless --model is given).");
        bench.Subcommands.Add(Forward());
        bench.Subcommands.Add(Patch());
        bench.Subcommands.Add(BenchPathPatchCommand.Create());
        return bench;
    }

    private static Option<string?> ModelOption() => new("--model", "-m") { Description = "Model directory or hub id; default: random weights in GPT-2 small's shapes." };
    private static Option<int> ThreadsOption() => new("--threads") { Description = "GEMM threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };

    private static Command Forward()
    {
        var model = ModelOption(); var threads = ThreadsOption();
        var batch = new Option<int>("--batch") { Description = "Prompts per forward.", DefaultValueFactory = _ => 16 }.Range(1, 4096);
        var seq = new Option<int>("--seq") { Description = "Tokens per prompt.", DefaultValueFactory = _ => 32 }.Range(1, 65536);
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 5, Description = "Timed repetitions (best is reported)." };
        var command = new Command("forward", "Forward-pass throughput (tokens/s, GFLOP/s) against the measured matrix-product peak.") { model, threads, batch, seq, repeats };
        var devices = new DeviceOptions();
        devices.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            var device = devices.Kind(r);
            Gemm.MaxThreads = r.GetValue(threads);
            var m = LoadOrRandom(r.GetValue(model));
            int B = r.GetValue(batch), T = r.GetValue(seq);
            var rng = new Random(1);
            var tokens = TokenBatch.FromSequences(Enumerable.Range(0, B).Select(_ => Enumerable.Range(0, T).Select(_ => rng.Next(m.Config.VocabSize)).ToArray()).ToList());
            if (device != CircuitLens.Model.Devices.DeviceKind.Cpu)
            {
                Print("forward", BenchDeviceMode.Forward(m, device, tokens, r.GetValue(repeats)));
                return ExitCodes.Ok;
            }
            m.Forward(tokens, LogitsMode.LastPosition);   // warm-up (packing, JIT)
            double best = double.MaxValue;
            for (int i = 0; i < r.GetValue(repeats); i++)
            {
                var clock = Stopwatch.StartNew();
                m.Forward(tokens, LogitsMode.LastPosition);
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
            }
            double flops = ForwardFlops(m.Config, B, T);
            double peak = Gemm.MeasurePeakGflops(Gemm.MaxThreads);
            Print("forward", [("model", m.Config.ModelName), ("threads", Gemm.MaxThreads.ToString()), ("batch × seq", $"{B} × {T} = {B * T} tokens"),
                ("time (best)", $"{best * 1000:F1} ms"), ("tokens/s", $"{B * T / best:F0}"), ("GFLOP/s", $"{flops / best / 1e9:F1}"),
                ("GEMM peak GFLOP/s (measured, 1536³)", $"{peak:F1}"), ("fraction of peak", $"{flops / best / 1e9 / peak:P0}")]);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Patch()
    {
        var model = ModelOption(); var threads = ThreadsOption();
        var pairs = new Option<int>("--pairs") { Description = "IOI pairs (template dataset, seed 0).", DefaultValueFactory = _ => 100 }.Range(1, CommandLineRules.MaxPairs);
        var sweep = new Option<string>("--sweep") { Description = "Sweep to time.", DefaultValueFactory = _ => "head-z" };
        var baseline = new Option<int>("--baseline-components") { Description = "Components of the plain sweep to time (it is extrapolated to the full sweep); 0 skips it.", DefaultValueFactory = _ => 12 };
        var compare = new Option<bool>("--compare") { Description = "Also time the whole batch at once, one pair at a time, and 1 thread." };
        var chunk = new Option<int>("--chunk-size") { Description = "Pairs per chunk, as in `patch`.", DefaultValueFactory = _ => 25 }.Range(1, CommandLineRules.MaxPairs);
        var probDiff = new Option<bool>("--prob-diff") { Description = "Also time the exact sweep with the prob-diff metric (answer set {IO}, wrong set {S}: full-vocabulary softmax) and its overhead over logit-diff." };
        var oneByOne = new Option<bool>("--one-by-one") { Description = "Also time the fast exact sweep one pair at a time, next to the batched sweep (patched runs/s of each)." };
        var command = new Command("patch", "Time the fast exact sweep, attribution patching and the plain sweep (baseline) on IOI pairs.") { model, threads, pairs, sweep, baseline, compare, chunk, probDiff, oneByOne };
        var patchDevices = new DeviceOptions();
        patchDevices.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            Gemm.MaxThreads = r.GetValue(threads);
            var m = LoadOrRandom(r.GetValue(model));
            var s = Sweep.Parse(r.GetValue(sweep)!)[0];
            var rows = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = r.GetValue(pairs), Seed = 0 }).Pairs;
            var tokenized = new IoiTokenizedPairs(m, rows, prependBos: true);
            var data = tokenized.ToPatchingBatch();
            int components = s.LayerList(m.Config).Count * s.ComponentsPerLayer(m.Config, data.SeqLen);
            long patches = (long)components * data.Count;
            var lines = new List<(string, string)>
            {
                ("model", m.Config.ModelName), ("threads", Gemm.MaxThreads.ToString()), ("pairs", $"{data.Count} (tokens per prompt {data.Clean.Lengths.Min()}–{data.SeqLen}, BOS)"),
                ("sweep", $"{s.Name}: {components} components × {data.Count} pairs = {patches} patched runs"),
            };
            if (patchDevices.Kind(r) is var device and not CircuitLens.Model.Devices.DeviceKind.Cpu)
            {
                if (r.GetValue(probDiff)) throw new CircuitLensException($"--prob-diff is timed on the cpu device only; drop --device {r.GetValue(patchDevices.Device)}");
                // the fast exact engine on the device next to the cpu engine (and the plain engine as baseline)
                lines.AddRange(BenchDeviceMode.Patch(m, device, data, s, components, r.GetValue(chunk), r.GetValue(baseline)));
                lines.AddRange(BenchDeviceMode.Attribution(m, device, data));
                Print("patch", lines);
                return ExitCodes.Ok;
            }
            FastActivationPatching.Run(m, data.Slice(0, Math.Min(2, data.Count)), s);   // warm-up
            var job = new PatchingJobOptions { Sweeps = [s], ChunkSize = r.GetValue(chunk) };

            // the fast exact sweep exactly as `patch`/`ioi` run it (chunks of pairs), and its memory
            GC.Collect();
            var fast = Stopwatch.StartNew();
            PatchingJob.Run(m, data, job);
            double tf = fast.Elapsed.TotalSeconds;
            lines.Add(("fast exact sweep", $"{tf:F1} s = {patches / tf:F0} patches/s (chunks of {job.ChunkSize} pairs)"));
            lines.Add(("peak working set after exact sweep", $"{Process.GetCurrentProcess().PeakWorkingSet64 / 1e9:F2} GB"));
            if (r.GetValue(probDiff))
            {
                var metric = new ProbDiffMetric(tokenized.AnswerIds.Select(a => new[] { a }).ToArray(), tokenized.WrongIds.Select(w => new[] { w }).ToArray());
                var probData = new PatchingBatch(tokenized.Clean, tokenized.Corrupt, metric);
                var prob = Stopwatch.StartNew();
                PatchingJob.Run(m, probData, job);
                double tp = prob.Elapsed.TotalSeconds;
                lines.Add(("fast exact sweep, prob-diff metric", $"{tp:F1} s = {patches / tp:F0} patches/s: {100 * (tp / tf - 1):+0.0;-0.0} % over logit-diff"));
                lines.Add(("peak working set after prob-diff sweep", $"{Process.GetCurrentProcess().PeakWorkingSet64 / 1e9:F2} GB"));
            }

            if (r.GetValue(oneByOne))
            {
                // the same sweep with every pair run alone (no batching across pairs), against the chunked run above
                var single = Stopwatch.StartNew();
                for (int b = 0; b < data.Count; b++) FastActivationPatching.Run(m, data.Slice(b, 1), s);
                double ts = single.Elapsed.TotalSeconds;
                lines.Add(("fast exact sweep, one pair at a time", $"{ts:F1} s = {patches / ts:F0} patches/s: batched (chunks of {job.ChunkSize}) is {ts / tf:F2}× as fast"));
            }

            var allSweeps = Sweep.Parse("heads-every,block-every");   // the 8 all-position sweeps the targets were set for
            var attr = Stopwatch.StartNew();
            AttributionPatching.Run(m, data, allSweeps);
            lines.Add(($"attribution patching ({allSweeps.Count} sweeps)", $"{attr.Elapsed.TotalSeconds:F2} s (corrupted forward + clean forward and backward from each first difference)"));

            if (r.GetValue(compare))
            {
                var whole = Stopwatch.StartNew();
                FastActivationPatching.Run(m, data, s);
                lines.Add(("fast exact, whole batch at once", $"{whole.Elapsed.TotalSeconds:F1} s"));
                var single = Stopwatch.StartNew();
                for (int b = 0; b < data.Count; b++) FastActivationPatching.Run(m, data.Slice(b, 1), s);
                lines.Add(("fast exact, one pair at a time", $"{single.Elapsed.TotalSeconds:F1} s"));
                int saved = Gemm.MaxThreads;
                Gemm.MaxThreads = 1;
                var one = Stopwatch.StartNew();
                PatchingJob.Run(m, data, job);
                lines.Add(("fast exact, 1 thread", $"{one.Elapsed.TotalSeconds:F1} s"));
                var attrOne = Stopwatch.StartNew();
                AttributionPatching.Run(m, data, allSweeps);
                lines.Add(("attribution, 1 thread", $"{attrOne.Elapsed.TotalSeconds:F2} s"));
                Gemm.MaxThreads = saved;
            }

            if (r.GetValue(baseline) is int k and > 0)
            {
                k = (int)Math.Min(k, components - 1);
                double t = PlainSweepTiming.Seconds(m, data, s, k);
                double rate = (double)k * data.Count / t;
                lines.Add(("plain sweep (baseline)", $"{k} components × {data.Count} pairs in {t:F1} s = {rate:F1} patches/s → full sweep ≈ {patches / rate:F0} s (extrapolated)"));
                lines.Add(("speed-up of the fast exact sweep", $"{patches / rate / tf:F1}×"));
            }
            lines.Add(("peak working set (whole run)", $"{Process.GetCurrentProcess().PeakWorkingSet64 / 1e9:F2} GB"));
            Print("patch", lines);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static HookedTransformer LoadOrRandom(string? model)
    {
        if (model is not null) return HookedTransformer.FromPretrained(model);
        Cli.Stderr.Info("random weights in GPT-2 small's shapes (12 layers, 12 heads, d_model 768)");
        return new HookedTransformer(Gpt2Weights.Random(Gpt2Config.Gpt2Small));
    }

    // GEMM work of one forward with last-position logits (the count is shared with the PyTorch comparison: ForwardCost)
    public static double ForwardFlops(Gpt2Config c, int batch, int seq) => ForwardCost.Flops(c, batch, seq);

    private static void Print(string title, IEnumerable<(string Key, string Value)> lines)
    {
        Console.Out.WriteLine($"# bench {title} ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version})");
        foreach (var (k, v) in lines) Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k,-38} {v}"));
    }
}
