// `circuitlens circuit check`: ablate everything outside a circuit (file or built-in) and report
// faithfulness, completeness and minimality (check.json, check.md, circuit.json).
using System.CommandLine;
using CircuitLens.Circuits;
using CircuitLens.Patching;
using CircuitLens.Tasks.Circuits;

namespace CircuitLens.Cli.Commands;

internal static class CircuitCommand
{
    public static Command Create()
    {
        var circuit = new Command("circuit", "Check circuits (faithfulness, completeness, minimality) and discover them.");
        circuit.Subcommands.Add(Check());
        circuit.Subcommands.Add(Discover());
        return circuit;
    }

    private static Command Discover()
    {
        var model = new ModelOptions();
        var pairs = new Option<string>("--pairs") { Description = "Pair file (JSONL): clean = target, corrupt = source.", Required = true };
        var method = new Option<string>("--method") { Description = "eap (gradient on the clean run) or eap-ig (integrated gradients over interpolated input embeddings).", DefaultValueFactory = _ => "eap" };
        method.AcceptOnlyFromAmong("eap", "eap-ig");
        var steps = new Option<int>("--steps") { Description = "EAP-IG interpolation steps.", DefaultValueFactory = _ => 5 };
        var top = new Option<int?>("--top") { Description = "Keep the K strongest edges (default 20)." };
        var threshold = new Option<double?>("--threshold") { Description = "Keep the edges with |score| ≥ T instead." };
        var classes = new Option<string?>("--classes") { Description = "Circuit file or built-in whose classes label and colour the found heads (e.g. ioi-paper)." };
        var output = new Option<string>("--out", "-o") { Description = "Output directory.", Required = true }.OutputDirectory();
        var command = new Command("discover", "Edge attribution patching: score every edge (input/head/MLP → later q/k/v, MLP input, logits); write the top edges as a circuit and a graph.")
            { pairs, method, steps, top, threshold, classes, output };
        model.AddTo(command);
        var device = new DeviceOptions();   // EAP's runs, backward passes and edge products run on the device
        device.AddTo(command);
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            var m = device.Apply(r, model.Load(r, ct));
            string outDir = r.GetValue(output)!;
            var (_, circuit) = CircuitDiscoverTask.Run(m, new CircuitDiscoverOptions
            {
                PairsPath = r.GetValue(pairs)!, Method = r.GetValue(method) == "eap-ig" ? EdgeMethod.EapIg : EdgeMethod.Eap, Steps = r.GetValue(steps),
                Top = r.GetValue(top), Threshold = r.GetValue(threshold), Classes = r.GetValue(classes), PrependBos = model.PrependBos(r),
            }, outDir, ct);
            Console.Out.WriteLine($"{circuit.Heads.Count} heads: {string.Join(" ", circuit.Heads.Select(h => h.Head))}");
            Console.Out.WriteLine(Path.GetFullPath(outDir));
            return ExitCodes.Ok;
        })));
        return command;
    }

    private static Command Check()
    {
        var model = new ModelOptions();
        var device = new DeviceOptions();
        var pairs = new Option<string>("--pairs") { Description = "Pair file (JSONL); F is the mean metric over its clean prompts.", Required = true };
        var file = new Option<string>("--circuit") { Description = $"Circuit JSON file or a built-in: {string.Join(", ", BuiltinCircuits.Names)}.", Required = true };
        var reference = new Option<string?>("--reference") { Description = "JSONL of reference prompts ('prompt' or 'clean', optional 'template'); default: the pairs' ABC corrupted prompts." };
        var ablation = new Option<string>("--ablation") { Description = "mean (per position over the reference prompts), zero, or resample (one random reference row).", DefaultValueFactory = _ => "mean" };
        ablation.AcceptOnlyFromAmong("mean", "zero", "resample");
        var subsets = new Option<int>("--random-subsets") { Description = "Random subsets K for completeness.", DefaultValueFactory = _ => 5 };
        var greedy = new Option<int>("--greedy-steps") { Description = "Steps of the greedy completeness search.", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seed of the random subsets and resampling.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o") { Description = "Output directory.", Required = true }.OutputDirectory();
        var command = new Command("check", "Ablate everything outside the circuit; report F(M), F(C), faithfulness, completeness and minimality.")
            { pairs, file, reference, ablation, subsets, greedy, seed, output };
        model.AddTo(command);
        device.AddTo(command);
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            if (r.GetValue(subsets) < 0 || r.GetValue(greedy) < 0) throw new CircuitLensException("--random-subsets and --greedy-steps must be ≥ 0");
            var m = device.Apply(r, model.Load(r, ct));
            string outDir = r.GetValue(output)!;
            var options = new CircuitCheckTaskOptions
            {
                PairsPath = r.GetValue(pairs)!, Circuit = r.GetValue(file)!, ReferencePath = r.GetValue(reference),
                Ablation = Enum.Parse<AblationKind>(r.GetValue(ablation)!, ignoreCase: true), PrependBos = model.PrependBos(r),
                Check = new CircuitCheckOptions { RandomSubsets = r.GetValue(subsets), GreedySteps = r.GetValue(greedy), Seed = r.GetValue(seed) },
            };
            var result = ProgressDisplay.Run("circuit check", progress => CircuitCheckTask.Run(m, options, outDir,
                new SyncProgress<PatchingProgress>(p => progress.Report(new JobProgress((double)p.Done / Math.Max(1, p.Total), $"{p.Done} ablated runs"))), ct));
            Console.Out.WriteLine($"F(M) = {result.FModel:F4}  F(C) = {result.FCircuit:F4}  faithfulness = {result.Faithfulness:F4}");
            Console.Out.WriteLine(Path.GetFullPath(outDir));
            return ExitCodes.Ok;
        })));
        return command;
    }
}
