// The PyTorch forward checked against the float64 golden fixtures (shared/fixtures/tiny-gpt2): last-position
// logits of each prompt alone and of all four as one left-padded batch, all-position logits and every cached
// activation of prompt 0, and the head-z patching sweep on the fixture's IOI pairs (clean and corrupted logit
// differences and every patched one). The checkpoint is read by CircuitLens' loader, as in the benchmark.
using System.Text.Json;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tensors;
using static TorchSharp.torch;

namespace CircuitLens.Bench.Torch;

public static class FixtureChecks
{
    public static List<AgreementCheck> Run(string fixtures, Device device)
    {
        string dir = Path.Combine(fixtures, "tiny-gpt2"), expected = Path.Combine(dir, "expected");
        if (!File.Exists(Path.Combine(dir, "cases.json"))) throw new CircuitLensException($"{dir}: no cases.json (give --fixtures, the shared/fixtures folder)");
        var model = HookedTransformer.FromDirectory(Path.Combine(dir, "model"));
        using var torchModel = new TorchGpt2(model.Weights, device);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "cases.json")));
        int[] Ids(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var prompts = doc.RootElement.GetProperty("prompt_ids").EnumerateArray().Select(Ids).ToList();
        var checks = new List<AgreementCheck>();
        using var scope = NewDisposeScope();

        var lastExpected = NpyFile.Read(Path.Combine(expected, "logits_last.npy"));
        var alone = prompts.SelectMany(p => Floats(torchModel.Run(TokenBatch.Single(p)))).ToArray();
        checks.Add(AgreementCheck.Compare("fixture: last-position logits, each prompt alone", alone, lastExpected.Data));
        checks.Add(AgreementCheck.Compare("fixture: last-position logits, 4 prompts left-padded in one batch",
            Floats(torchModel.Run(TokenBatch.FromSequences(prompts))), lastExpected.Data));
        checks.Add(AgreementCheck.Compare("fixture: all-position logits, prompt 0",
            Floats(torchModel.Run(TokenBatch.Single(prompts[0]), allPositions: true)), NpyFile.Read(Path.Combine(expected, "logits_all_prompt0.npy")).Data));

        // every cached activation of prompt 0 that the fixture has
        var cache = new Dictionary<string, float[]>();
        var hooks = HookNames.All(model.Config.NLayers).ToDictionary(n => n, n => (TorchHook)(x => { cache[n] = Floats(x); return x; }));
        torchModel.Run(TokenBatch.Single(prompts[0]), hooks: hooks);
        var files = Directory.GetFiles(Path.Combine(expected, "cache_prompt0"), "*.npy").Order(StringComparer.Ordinal).ToList();
        float[] cached = [.. files.SelectMany(f => cache.TryGetValue(Path.GetFileNameWithoutExtension(f), out var v) ? v : [])];
        float[] reference = [.. files.SelectMany(f => NpyFile.Read(f).Data)];
        var missing = files.Select(Path.GetFileNameWithoutExtension).Where(n => !cache.ContainsKey(n!)).ToList();
        checks.Add(AgreementCheck.Compare($"fixture: {files.Count} cached activations of prompt 0" + (missing.Count > 0 ? $" (not produced: {string.Join(", ", missing)})" : ""),
            cached, reference));

        // head-z patching, the TransformerLens way, on the fixture's pairs
        var pairs = doc.RootElement.GetProperty("pairs").EnumerateArray().ToList();
        var data = new PatchingBatch(pairs.Select(p => Ids(p.GetProperty("clean_ids"))).ToList(), pairs.Select(p => Ids(p.GetProperty("corrupt_ids"))).ToList(),
            pairs.Select(p => p.GetProperty("answer_id").GetInt32()).ToArray(), pairs.Select(p => p.GetProperty("wrong_id").GetInt32()).ToArray());
        var run = TorchHeadZPatching.Run(torchModel, data, model.Config.NLayers * model.Config.NHeads);
        checks.Add(AgreementCheck.Compare("fixture: clean and corrupted logit differences", [.. run.CleanMetric, .. run.CorruptMetric],
            [.. NpyFile.Read(Path.Combine(expected, "patch", "clean_logit_diff.npy")).Data, .. NpyFile.Read(Path.Combine(expected, "patch", "corrupt_logit_diff.npy")).Data]));
        checks.Add(AgreementCheck.Compare("fixture: head-z patched logit differences [pair, layer, head]",
            run.Patched.Cast<float>().ToArray(), NpyFile.Read(Path.Combine(expected, "patch", "head_z.npy")).Data));
        return checks;
    }

    /// <summary>A tensor's values in row-major order, copied to the host.</summary>
    public static float[] Floats(TorchSharp.torch.Tensor t) => t.contiguous().cpu().data<float>().ToArray();
}
