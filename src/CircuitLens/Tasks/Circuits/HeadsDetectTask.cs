// `heads detect` as a library call: previous-token, duplicate-token and induction scores on repeated
// random token blocks, and with pairs the IOI role detectors; writes <detector>.npy [layer, head],
// scores.json and a heatmap (SVG + PNG) per detector.
using System.Text.Json;
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Reports;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;
using CircuitLens.Tasks.Runs;

namespace CircuitLens.Tasks.Circuits;

public sealed record HeadsDetectOptions
{
    public int N { get; init; } = 20;
    public int Length { get; init; } = 25;
    public int Seed { get; init; }
    public bool PrependBos { get; init; } = true;
    /// <summary>Logit-diff pairs for the IOI role detectors (end→IO, end→S, copy scores); null skips them.</summary>
    public string? PairsPath { get; init; }
    public bool Plots { get; init; } = true;
}

public static class HeadsDetectTask
{
    /// <summary>Every score map by its file name ("previous_token", …, "copy_score").</summary>
    public static Dictionary<string, Tensor> Run(HookedTransformer model, HeadsDetectOptions options, string outDir)
    {
        var sequences = HeadDetectors.RepeatedRandomTokens(options.N, options.Length, options.Seed, options.PrependBos, model.Config.VocabSize);
        if (sequences[0].Length > model.Config.NCtx) throw new CircuitLensException($"2 × --length {options.Length} tokens exceed the model's context ({model.Config.NCtx})");
        var maps = HeadDetectors.Score(model, sequences).ToDictionary(kv => HeadDetectors.Name(kv.Key), kv => kv.Value);
        if (options.PairsPath is { } path)
        {
            var data = PairFile.Read(path).Tokenize(model, options.PrependBos);
            var batch = new Patching.PatchingBatch(data.Clean, data.Clean, data.Metric);
            var roles = IoiHeadRoles.Score(model, batch);
            maps["end_to_io"] = roles.EndToIo;
            maps["end_to_s"] = roles.EndToS;
            maps["copy_score"] = roles.CopyScore;
            maps["negative_copy_score"] = roles.NegativeCopyScore;
        }
        using var hold = RunLock.Acquire(outDir);   // a second run into the same --out fails instead of mixing files
        Write(outDir, maps, model.Config.ModelName, options);
        return maps;
    }

    public static void Write(string outDir, Dictionary<string, Tensor> maps, string modelName, HeadsDetectOptions options)
    {
        Directory.CreateDirectory(outDir);
        var json = new Dictionary<string, object>
        {
            ["model"] = modelName, ["n"] = options.N, ["length"] = options.Length, ["seed"] = options.Seed, ["prepend_bos"] = options.PrependBos,
            ["error_measure"] = "mul", ["pairs"] = options.PairsPath ?? "",
        };
        foreach (var (name, t) in maps)
        {
            NpyFile.Write(Path.Combine(outDir, name + ".npy"), t);
            json[name] = Enumerable.Range(0, t.Dim(0)).Select(l => Enumerable.Range(0, t.Dim(1)).Select(h => t[l, h]).ToArray()).ToArray();
            if (!options.Plots) continue;
            var map = Heatmap.LayerHead(name.Replace('_', ' '), Reports.PatchingFigures.To2D(t)) with
            {
                Scale = ColorScale.Sequential, Limit = 1f, ValueLabel = "score", Subtitle = $"{modelName} · {(options.PrependBos ? "BOS" : "no BOS")}",
            };
            AtomicFile.WriteAllText(Path.Combine(outDir, name + ".svg"), HeatmapSvg.Render(map));
            AtomicFile.WriteAllBytes(Path.Combine(outDir, name + ".png"), HeatmapPng.Render(map));
        }
        AtomicFile.WriteAllText(Path.Combine(outDir, "scores.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
    }
}
