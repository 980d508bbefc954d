// The `circuit check` section of the greater-than and acronyms experiments: their built-in circuit
// (BuiltinCircuits, GPT-2 small), mean-ablated elsewhere over the run's corrupted prompts (grouped by
// token length), on the run's pairs. Writes DIR/circuit/check-<name>.json (+ check.md, circuit.json
// under DIR/circuit/check-<name>/) and returns the report table; a model that is not 12 layers × 12
// heads gets the reason instead.
using System.Globalization;
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Circuits;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Experiments;

public sealed record BuiltinCircuitCheck(string Circuit, CircuitCheckResult? Result, string Note, string[] Header, IReadOnlyList<string[]> Rows);

public static class BuiltinCircuitCheckStep
{
    public static CircuitCheckOptions DefaultCheck { get; } = new() { RandomSubsets = 2, GreedySteps = 1 };

    public static BuiltinCircuitCheck Run(HookedTransformer model, PairSet pairs, bool prependBos, string circuitName, string outDir,
        CircuitCheckOptions? check = null, CancellationToken ct = default)
    {
        check ??= DefaultCheck;
        var cfg = model.Config;
        string[] header = ["quantity", "value"];
        if (cfg.NLayers != 12 || cfg.NHeads != 12)
            return new(circuitName, null, $"the built-in {circuitName} circuit names heads of GPT-2 small (12 layers × 12 heads); this model has {cfg.NLayers} × {cfg.NHeads}", header, []);
        var circuit = Circuit.Load(circuitName, cfg.NLayers, cfg.NHeads);
        var tokenized = pairs.Tokenize(model, prependBos);
        var ablation = new CircuitAblation(model, new PatchingBatch(tokenized.Clean, tokenized.Clean, tokenized.Metric), AblationKind.Mean, tokenized.Corrupt.ToList(), seed: check.Seed);
        var result = CircuitCheck.Run(ablation, circuit, cfg.NLayers, cfg.NHeads, check, ct: ct);
        string dir = Path.Combine(outDir, "circuit");
        string sub = Path.Combine(dir, $"check-{circuitName}");
        CircuitCheckTask.Write(sub, circuit, result, new CircuitCheckTaskOptions { PairsPath = pairs.Source, Circuit = circuitName, PrependBos = prependBos, Check = check },
            $"{pairs.Source} (corrupted prompts)", tokenized.Metric.Name, cfg.ModelName);
        AtomicFile.WriteAllText(Path.Combine(dir, $"check-{circuitName}.json"), File.ReadAllText(Path.Combine(sub, "check.json")));
        var ci = CultureInfo.InvariantCulture;
        List<string[]> rows =
        [
            ["circuit", $"{circuitName}: {circuit.Heads.Count} heads" + (circuit.Mlps is null ? ", every MLP" : $", MLPs {string.Join(" ", circuit.Mlps)}")],
            ["ablation", $"mean over the {tokenized.Count} corrupted prompts, by token length"],
            ["F(M)", result.FModel.ToString("F4", ci)], ["F(C)", result.FCircuit.ToString("F4", ci)], ["F(∅)", result.FEmpty.ToString("F4", ci)],
            ["|F(M) − F(C)|", result.Faithfulness.ToString("F4", ci) + (result.FModel == 0 ? "" : $" ({(result.Faithfulness / Math.Abs(result.FModel)).ToString("P1", ci)} of |F(M)|)")],
            ["least minimality", result.Minimality.Count == 0 ? "–" : result.Minimality.Min(m => m.Score).ToString("F4", ci)],
            ["worst completeness", result.Completeness.Count == 0 ? "–" : result.Completeness.Max(c => c.Score).ToString("F4", ci)],
            ["files", $"circuit/check-{circuitName}.json, circuit/check-{circuitName}/check.md"],
        ];
        return new(circuitName, result, "", header, rows);
    }

    /// <summary>Adds the section to a report: the table, or the reason there is none.</summary>
    public static void AddTo(Reports.HtmlReport report, BuiltinCircuitCheck check)
    {
        report.AddSection($"Circuit check: {check.Circuit}");
        if (check.Result is null) report.AddParagraph($"Not run: {check.Note}.");
        else report.AddTable($"circuit check of the built-in {check.Circuit} circuit", check.Header, check.Rows);
    }
}
