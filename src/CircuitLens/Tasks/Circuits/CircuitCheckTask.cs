// `circuit check` as a library call: reads the pairs, the circuit (file or built-in) and the reference
// prompts, ablates, and writes check.json (f_model, f_circuit, faithfulness, completeness, minimality,
// …), check.md (the same as tables) and circuit.json (the circuit checked).
using System.Globalization;
using System.Text;
using System.Text.Json;
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;
using CircuitLens.Tasks.Runs;

namespace CircuitLens.Tasks.Circuits;

public sealed record CircuitCheckTaskOptions
{
    public required string PairsPath { get; init; }
    /// <summary>A circuit file or a built-in name (ioi-paper, greater-than, acronyms).</summary>
    public required string Circuit { get; init; }
    /// <summary>JSONL of reference prompts ("prompt", else "clean"); default: the pairs' corrupted prompts when they are ABC corruptions.</summary>
    public string? ReferencePath { get; init; }
    public AblationKind Ablation { get; init; } = AblationKind.Mean;
    public bool PrependBos { get; init; } = true;
    public CircuitCheckOptions Check { get; init; } = new();
}

public static class CircuitCheckTask
{
    public static CircuitCheckResult Run(HookedTransformer model, CircuitCheckTaskOptions options, string outDir,
        IProgress<PatchingProgress>? progress = null, CancellationToken ct = default)
    {
        var circuit = Circuit.Load(options.Circuit, model.Config.NLayers, model.Config.NHeads);
        var (ablation, referenceLabel) = Prepare(model, options);
        using var hold = RunLock.Acquire(outDir);   // inputs checked: from here the output directory is this run's alone
        var result = CircuitCheck.Run(ablation, circuit, model.Config.NLayers, model.Config.NHeads, options.Check, progress, ct);
        Write(outDir, circuit, result, options, referenceLabel, ablation.Data.Metric.Name, model.Config.ModelName);
        return result;
    }

    public static (CircuitAblation Ablation, string ReferenceLabel) Prepare(HookedTransformer model, CircuitCheckTaskOptions options)
    {
        var pairs = PairFile.Read(options.PairsPath);
        var tokenized = pairs.Tokenize(model, options.PrependBos);
        // only the clean prompts are run: the batch's corrupted side is the clean prompt itself
        var data = new PatchingBatch(tokenized.Clean, tokenized.Clean, tokenized.Metric);
        var pairGroups = pairs.Rows.Select(r => r.Text("template")).ToList();
        List<int[]>? reference = null; List<string?>? referenceGroups = null;
        string label = "none (zero ablation)";
        if (options.Ablation != AblationKind.Zero)
        {
            if (options.ReferencePath is { } path)
            {
                var rows = PromptRows.Read(path, "prompt", "clean");
                reference = rows.Select(r => model.ToTokens(r.Prompt, options.PrependBos)).ToList();
                referenceGroups = rows.Select(r => r.Template).ToList();
                label = path;
            }
            else if (pairs.Rows.All(r => r.Text("corruption") == "abc"))
            {
                reference = tokenized.Corrupt.ToList();
                referenceGroups = pairGroups;
                label = $"{options.PairsPath} (corrupt prompts: ABC)";
            }
            else throw new CircuitLensException($"{options.Ablation.ToString().ToLowerInvariant()} ablation needs reference prompts: pass --reference FILE (e.g. from `dataset ioi --corruption abc`), or pairs whose corruption is abc");
        }
        return (new CircuitAblation(model, data, options.Ablation, reference, referenceGroups, pairGroups, options.Check.Seed), label);
    }

    public static void Write(string outDir, Circuit circuit, CircuitCheckResult r, CircuitCheckTaskOptions options, string reference, string metric, string modelName)
    {
        Directory.CreateDirectory(outDir);
        static string[] Heads(IEnumerable<HeadId> k) => k.Select(h => h.ToString()).ToArray();
        var json = new Dictionary<string, object?>
        {
            ["model"] = modelName, ["circuit"] = circuit.Name, ["pairs"] = options.PairsPath, ["pair_count"] = r.PerPairModel.Length,
            ["metric"] = metric, ["ablation"] = options.Ablation.ToString().ToLowerInvariant(), ["reference"] = reference, ["prepend_bos"] = options.PrependBos,
            ["f_model"] = r.FModel, ["f_circuit"] = r.FCircuit, ["f_empty"] = r.FEmpty,
            ["faithfulness"] = r.Faithfulness, ["faithfulness_relative"] = r.FModel == 0 ? null : r.Faithfulness / Math.Abs(r.FModel), ["recovered"] = r.FModel == 0 ? null : r.Recovered,
            ["completeness"] = r.Completeness.Select(c => new Dictionary<string, object>
            {
                ["kind"] = c.Kind, ["label"] = c.Label, ["k"] = Heads(c.K), ["f_circuit_minus_k"] = c.FCircuitMinusK, ["f_model_minus_k"] = c.FModelMinusK, ["score"] = c.Score,
            }).ToList(),
            ["minimality"] = r.Minimality.Select(m => new Dictionary<string, object>
            {
                ["head"] = m.Head.ToString(), ["class"] = m.Class, ["k"] = Heads(m.K), ["f_circuit_minus_k"] = m.FCircuitMinusK,
                ["f_circuit_minus_k_and_head"] = m.FCircuitMinusKAndHead, ["score"] = m.Score,
            }).ToList(),
            ["definitions"] = new Dictionary<string, string>
            {
                ["F"] = $"mean {metric} over the pairs' clean prompts with everything outside the set ablated",
                ["faithfulness"] = "|F(M) - F(C)|", ["completeness"] = "|F(C\\K) - F(M\\K)|",
                ["minimality"] = "max over K in {{}, class(v)\\{v}} of |F(C\\(K+v)) - F(C\\K)|",
            },
            ["per_pair"] = new Dictionary<string, float[]> { ["model"] = r.PerPairModel, ["circuit"] = r.PerPairCircuit },
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "check.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        AtomicFile.WriteAllText(Path.Combine(outDir, "circuit.json"), circuit.ToJson() + "\n");
        AtomicFile.WriteAllText(Path.Combine(outDir, "check.md"), Markdown(circuit, r, options, metric));
    }

    private static string Markdown(Circuit circuit, CircuitCheckResult r, CircuitCheckTaskOptions options, string metric)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"# circuit check: {circuit.Name}");
        sb.AppendLine();
        sb.AppendLine(ci, $"{options.Ablation.ToString().ToLowerInvariant()} ablation · metric {metric} · {r.PerPairModel.Length} pairs");
        sb.AppendLine();
        sb.AppendLine("| quantity | value |");
        sb.AppendLine("| --- | --- |");
        sb.AppendLine(ci, $"| F(M) | {r.FModel:F4} |");
        sb.AppendLine(ci, $"| F(C) | {r.FCircuit:F4} |");
        sb.AppendLine(ci, $"| F(∅) | {r.FEmpty:F4} |");
        sb.AppendLine(ci, $"| faithfulness \\|F(M) − F(C)\\| | {r.Faithfulness:F4} ({(r.FModel == 0 ? "–" : (r.Faithfulness / Math.Abs(r.FModel)).ToString("P1", ci))} of \\|F(M)\\|) |");
        sb.AppendLine();
        sb.AppendLine("## Completeness |F(C∖K) − F(M∖K)|");
        sb.AppendLine();
        sb.AppendLine("| K | heads | F(C∖K) | F(M∖K) | score |");
        sb.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var c in r.Completeness)
            sb.AppendLine(ci, $"| {c.Label} | {string.Join(" ", c.K)} | {c.FCircuitMinusK:F4} | {c.FModelMinusK:F4} | {c.Score:F4} |");
        sb.AppendLine();
        sb.AppendLine("## Minimality per head");
        sb.AppendLine();
        sb.AppendLine("| head | class | K | F(C∖K) | F(C∖(K∪v)) | score |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var m in r.Minimality)
            sb.AppendLine(ci, $"| {m.Head} | {m.Class} | {(m.K.Count == 0 ? "∅" : string.Join(" ", m.K))} | {m.FCircuitMinusK:F4} | {m.FCircuitMinusKAndHead:F4} | {m.Score:F4} |");
        return sb.ToString();
    }
}
