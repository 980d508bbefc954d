// The comparison itself: correctness first (the PyTorch GPT-2 against the float64 fixtures, against the
// CircuitLens forward, and its patched logit differences against CircuitLens' exact engine), then, only if
// every check passes, timings on the same machine, device and threads: the forward of B × T tokens and the
// head-z sweep on IOI pairs by four engines (PyTorch the TransformerLens way, CircuitLens' plain hooked engine,
// CircuitLens' fast exact engine), each on the whole batch and one pair at a time. Output is markdown.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace CircuitLens.Bench.Torch;

public static class TorchBench
{
    /// <summary>The markdown report; throws <see cref="CircuitLensException"/> (with the checks table) when a check fails.</summary>
    public static string Run(TorchBenchOptions o, Action<string> progress)
    {
        Gemm.MaxThreads = o.Threads;
        set_num_threads(o.Threads);
        if (o.Device == "cuda" && !cuda.is_available())
            throw new CircuitLensException("--device cuda: this LibTorch has no CUDA (TorchSharp-cpu); build with -p:TorchPackage=TorchSharp-cuda-linux where NuGet serves it");
        var device = torch.device(o.Device);
        var inv = CultureInfo.InvariantCulture;
        string loadAtStart = LoadAverage();

        progress("checking against the float64 fixtures");
        var checks = FixtureChecks.Run(o.FixturesDirectory(), device);
        ThrowIfAnyFailed(checks);

        progress(o.Model is null ? "random weights in GPT-2 small's shapes (12 layers, 12 heads, d_model 768)" : $"loading {o.Model}");
        var model = o.Model is null ? new HookedTransformer(Gpt2Weights.Random(Gpt2Config.Gpt2Small)) : HookedTransformer.FromPretrained(o.Model);
        var cfg = model.Config;
        using var torchModel = new TorchGpt2(model.Weights, device);
        var rows = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = o.Pairs, Seed = 0 }).Pairs;
        var data = new IoiTokenizedPairs(model, rows, prependBos: true).ToPatchingBatch();
        var sweep = Sweep.Parse("head-z")[0];
        int heads = cfg.NLayers * cfg.NHeads, k = Math.Min(o.Components, heads - 1);
        int singles = Math.Min(o.SinglePairs, data.Count);

        using (var scope = NewDisposeScope())
        {
            checks.Add(AgreementCheck.Compare($"{cfg.ModelName}: last-position logits of the {data.Count} clean IOI prompts (left-padded batch) vs CircuitLens",
                FixtureChecks.Floats(torchModel.Run(data.Clean)), model.Forward(data.Clean, LogitsMode.LastPosition).Data));
        }
        ThrowIfAnyFailed(checks);

        // timings (kept until the patched values are checked)
        progress($"forward {o.Batch} × {o.Seq}: PyTorch");
        var rng = new Random(1);
        var tokens = TokenBatch.FromSequences(Enumerable.Range(0, o.Batch).Select(_ => Enumerable.Range(0, o.Seq).Select(_ => rng.Next(cfg.VocabSize)).ToArray()).ToList());
        // warm-ups (JIT, weight packing, allocators) on two of the prompts, so a slow machine pays for one full forward per repeat only
        var warmUp = TokenBatch.FromSequences(Enumerable.Range(0, Math.Min(2, o.Batch)).Select(b => tokens.Row(b).ToArray()).ToList());
        double torchForward = Best(o.Repeats, t => { using var s = NewDisposeScope(); FixtureChecks.Floats(torchModel.Run(t)); }, tokens, warmUp);
        progress($"forward {o.Batch} × {o.Seq}: CircuitLens");
        double ourForward = Best(o.Repeats, t => model.Forward(t, LogitsMode.LastPosition), tokens, warmUp);

        progress($"head-z sweep, {data.Count} pairs: PyTorch the TransformerLens way, {k} heads, whole batch");
        var torchWhole = TorchHeadZPatching.Run(torchModel, data, k);
        var torchAllLogits = o.AllPositionLogits ? TorchHeadZPatching.Run(torchModel, data, k, allPositionLogits: true) : null;
        progress($"… one pair at a time ({singles} pairs)");
        var torchSingle = Enumerable.Range(0, singles).Select(b => TorchHeadZPatching.Run(torchModel, data.Slice(b, 1), k)).ToList();
        progress("CircuitLens plain engine");
        double plainWhole = PlainSweepTiming.Seconds(model, data, sweep, k);
        double plainSingle = Enumerable.Range(0, singles).Sum(b => PlainSweepTiming.Seconds(model, data.Slice(b, 1), sweep, k));
        progress("CircuitLens fast exact engine");
        FastActivationPatching.Run(model, data.Slice(0, Math.Min(2, data.Count)), sweep);   // warm-up
        var clock = Stopwatch.StartNew();
        var exact = FastActivationPatching.Run(model, data, sweep);
        double fastWhole = clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (int b = 0; b < data.Count; b++) FastActivationPatching.Run(model, data.Slice(b, 1), sweep);
        double fastSingle = clock.Elapsed.TotalSeconds;

        // the PyTorch sweep's numbers against the exact engine's, pair by pair and head by head
        float[] Reference(int first, int count) =>
            Enumerable.Range(first, count).SelectMany(b => Enumerable.Range(0, k).Select(c => exact.Patched[b, c / cfg.NHeads, c % cfg.NHeads])).ToArray();
        checks.Add(AgreementCheck.Compare($"{cfg.ModelName}: clean and corrupted logit differences vs CircuitLens",
            [.. torchWhole.CleanMetric, .. torchWhole.CorruptMetric], [.. exact.CleanMetric, .. exact.CorruptMetric]));
        checks.Add(AgreementCheck.Compare($"{cfg.ModelName}: head-z patched logit differences ({k} heads × {data.Count} pairs, whole batch) vs CircuitLens' exact engine",
            torchWhole.Patched.Cast<float>().ToArray(), Reference(0, data.Count)));
        if (torchAllLogits is not null)
            checks.Add(AgreementCheck.Compare($"{cfg.ModelName}: head-z patched logit differences ({k} heads × {data.Count} pairs, whole batch, all-position logits) vs CircuitLens' exact engine",
                torchAllLogits.Patched.Cast<float>().ToArray(), Reference(0, data.Count)));
        if (singles > 0)
            checks.Add(AgreementCheck.Compare($"{cfg.ModelName}: head-z patched logit differences ({k} heads × {singles} pairs, one at a time) vs CircuitLens' exact engine",
                torchSingle.SelectMany(r => r.Patched.Cast<float>()).ToArray(), Reference(0, singles)));

        var md = new StringBuilder();
        md.AppendLine(inv, $"# CircuitLens vs PyTorch: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        md.AppendLine();
        md.AppendLine(inv, $"Load average (1, 5, 15 min) at the start: {loadAtStart}; at the end: {LoadAverage()}. Other processes share these cores: compare engines within one run.");
        md.AppendLine();
        md.AppendLine(inv, $"LibTorch {__version__} through TorchSharp {typeof(torch).Assembly.GetName().Version}, torch device {o.Device}, torch threads {get_num_threads()}, CircuitLens GEMM threads {Gemm.MaxThreads}; model {cfg.ModelName} ({cfg.NLayers} layers, {cfg.NHeads} heads, d_model {cfg.DModel}).");
        md.AppendLine();
        ThrowIfAnyFailed(checks);
        md.Append(ChecksTable(checks));

        double flops = ForwardCost.Flops(cfg, o.Batch, o.Seq);
        md.AppendLine();
        md.AppendLine(inv, $"## Forward, {o.Batch} × {o.Seq} = {o.Batch * o.Seq} tokens, last-position logits (best of {o.Repeats}, after a warm-up on 2 prompts)");
        md.AppendLine();
        md.AppendLine("| engine | device | time | tokens/s | GFLOP/s |");
        md.AppendLine("| --- | --- | --- | --- | --- |");
        md.AppendLine(inv, $"| PyTorch (TorchSharp), TransformerLens ops | {o.Device} | {torchForward * 1000:F1} ms | {o.Batch * o.Seq / torchForward:F0} | {flops / torchForward / 1e9:F1} |");
        md.AppendLine(inv, $"| CircuitLens | cpu | {ourForward * 1000:F1} ms | {o.Batch * o.Seq / ourForward:F0} | {flops / ourForward / 1e9:F1} |");

        int full = 100 * heads;
        string Row(string engine, string mode, long runs, double seconds, string measured) =>
            string.Create(inv, $"| {engine} | {mode} | {measured}: {seconds:F2} s | {runs / seconds:F1} | {full / (runs / seconds):F0} s |");
        md.AppendLine();
        md.AppendLine(inv, $"## head-z activation patching, {data.Count} IOI pairs (tokens per prompt {data.Clean.Lengths.Min()}–{data.SeqLen}, BOS)");
        md.AppendLine();
        md.AppendLine(inv, $"| engine | mode | measured | patched runs/s | 100 pairs × {heads} heads (extrapolated) |");
        md.AppendLine("| --- | --- | --- | --- | --- |");
        md.AppendLine(Row($"PyTorch, TransformerLens way (hooked forward per head), {o.Device}", "whole batch", (long)k * data.Count, torchWhole.Seconds, $"{k} heads × {data.Count} pairs"));
        if (torchAllLogits is not null)
            md.AppendLine(Row($"PyTorch, TransformerLens way, logits at every position (its default), {o.Device}", "whole batch", (long)k * data.Count, torchAllLogits.Seconds, $"{k} heads × {data.Count} pairs"));
        if (singles > 0)
            md.AppendLine(Row($"PyTorch, TransformerLens way (hooked forward per head), {o.Device}", "one pair at a time", (long)k * singles, torchSingle.Sum(r => r.Seconds), $"{k} heads × {singles} pairs"));
        md.AppendLine(Row("CircuitLens plain engine (hooked forward per head), cpu", "whole batch", (long)k * data.Count, plainWhole, $"{k} heads × {data.Count} pairs"));
        if (singles > 0)
            md.AppendLine(Row("CircuitLens plain engine (hooked forward per head), cpu", "one pair at a time", (long)k * singles, plainSingle, $"{k} heads × {singles} pairs"));
        md.AppendLine(Row("CircuitLens fast exact engine, cpu", "whole batch", (long)heads * data.Count, fastWhole, $"{heads} heads × {data.Count} pairs"));
        md.AppendLine(Row("CircuitLens fast exact engine, cpu", "one pair at a time", (long)heads * data.Count, fastSingle, $"{heads} heads × {data.Count} pairs"));
        return md.ToString();
    }

    private static string ChecksTable(List<AgreementCheck> checks) =>
        "## Agreement (tolerance 1e-4 + 1e-3·|expected|; timings are printed only if every check passes)\n\n" + AgreementCheck.Header + "\n"
        + string.Concat(checks.Select(c => c.Row() + "\n"));

    // at the first failed check: no timing is taken or printed, and the table says which check and by how much
    private static void ThrowIfAnyFailed(List<AgreementCheck> checks)
    {
        int failed = checks.Count(c => !c.Passed);
        if (failed > 0)
            throw new CircuitLensException($"the PyTorch GPT-2 disagrees with its reference in {failed} of {checks.Count} checks; no timings printed\n{ChecksTable(checks)}");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static double Best(int repeats, Action<TokenBatch> run, TokenBatch tokens, TokenBatch warmUp)
    {
        run(warmUp);
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            run(tokens);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
