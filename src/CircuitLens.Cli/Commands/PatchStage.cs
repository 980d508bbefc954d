// The cache-and-patch stage shared by `circuitlens patch` and `circuitlens ioi`: runs the sweeps
// (resumable by chunk), writes the arrays, pictures, run.json and report.html into one directory.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Reports;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tasks.Runs;
using CircuitLens.Tensors;

namespace CircuitLens.Cli.Commands;

internal sealed record PatchStageOptions
{
    public required IReadOnlyList<Sweep> Sweeps { get; init; }
    public PatchingMethod Method { get; init; } = PatchingMethod.Exact;
    public int ChunkSize { get; init; } = 25;
    public bool Plots { get; init; } = true;
    public string PairsSource { get; init; } = "pairs";
    public IReadOnlyList<(string Heading, string[] Header, IReadOnlyList<string[]> Rows)> ExtraTables { get; init; } = [];
    public IReadOnlyList<(string Key, string Value)> ExtraInfo { get; init; } = [];
}

internal static class PatchStage
{
    public static PatchingJobResult Run(HookedTransformer model, IReadOnlyList<IoiPair> pairs, bool prependBos, string outDir, PatchStageOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var tokenized = new IoiTokenizedPairs(model, pairs, prependBos, options.PairsSource);
        var batch = tokenized.ToPatchingBatch(options.PairsSource);
        string datasetHash = DatasetHash(pairs);
        string weights = WeightsFingerprint.Compute(model);
        string fingerprint = $"model={model.Config.ModelName};weights={weights};bos={prependBos};data={datasetHash};sweeps={string.Join(',', options.Sweeps.Select(s => s.Name))};method={options.Method};chunk={options.ChunkSize}";
        Directory.CreateDirectory(outDir);
        RunDirectory.RemoveTemporaryFiles(outDir);   // an interrupted earlier write of this run
        string checkpoint = Path.Combine(outDir, ".checkpoint");
        var job = ProgressDisplay.Run($"patching {pairs.Count} pairs", progress => PatchingJob.Run(model, batch, new PatchingJobOptions
        {
            Sweeps = options.Sweeps, Method = options.Method, ChunkSize = options.ChunkSize, CheckpointDir = checkpoint, Fingerprint = fingerprint,
        }, progress, ct));
        if (job.ResumedChunks > 0) Cli.Stderr.Info($"resumed {job.ResumedChunks} finished chunk(s) from {checkpoint}");
        WriteOutputs(model, pairs, prependBos, outDir, options, job, clock.Elapsed);
        PatchingJob.DeleteCheckpoint(checkpoint);
        return job;
    }

    /// <summary>Writes the arrays, pictures, report.html and run.json of a finished job (also how `merge` writes the shards' union).</summary>
    public static void WriteOutputs(HookedTransformer model, IReadOnlyList<IoiPair> pairs, bool prependBos, string outDir, PatchStageOptions options,
        PatchingJobResult job, TimeSpan elapsed)
    {
        var clock = Stopwatch.StartNew();
        var tokenized = new IoiTokenizedPairs(model, pairs, prependBos, options.PairsSource);
        string datasetHash = DatasetHash(pairs);
        string weights = WeightsFingerprint.Compute(model);
        var excluded = CheckBaselines(job, options.PairsSource);
        RunDirectory.RemovePreviousOutputs(outDir);   // a finished earlier run's files must not outlive it
        var files = new List<string>();
        var primary = job.Exact.Count > 0 ? job.Exact : job.Attribution;
        files.AddRange(PatchingOutputs.Write(outDir, primary));
        IReadOnlyList<SweepAgreement> agreement = [];
        if (job.Exact.Count > 0 && job.Attribution.Count > 0)
        {
            files.AddRange(PatchingOutputs.Write(Path.Combine(outDir, "attribution"), job.Attribution));
            agreement = PatchingAgreement.Compare(job.Exact, job.Attribution);
            string path = Path.Combine(outDir, "agreement.json");
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(agreement, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            files.Add(path);
            foreach (var a in agreement) Cli.Stderr.Info(PatchingAgreement.Summary(a));
        }

        var context = new PatchingFigureContext(model.Config.ModelName, prependBos, pairs.Count, options.Method == PatchingMethod.Both ? "exact" : options.Method.ToString().ToLowerInvariant(),
            PositionLabels(model, tokenized), MarkIoiHeads: true);
        if (options.Plots)
        {
            files.AddRange(PatchingFigures.WriteAll(outDir, primary, context with { Method = job.Exact.Count > 0 ? context.Method : "attribution" }));
            if (job.Exact.Count > 0 && job.Attribution.Count > 0)
                files.AddRange(PatchingFigures.WriteAll(Path.Combine(outDir, "attribution"), job.Attribution, context with { Method = "attribution" }));
        }

        var info = new List<(string, string)>
        {
            ("model", model.Config.ModelName), ("prepend BOS", prependBos ? "yes" : "no"), ("pairs", pairs.Count.ToString()),
            ("method", options.Method.ToString().ToLowerInvariant()), ("sweeps", string.Join(", ", options.Sweeps.Select(s => s.Name))),
            ("exact patching time", $"{job.ExactTime.TotalSeconds:F1} s"), ("attribution time", $"{job.AttributionTime.TotalSeconds:F2} s"),
        };
        if (excluded.Count > 0) info.Add(("excluded pairs", $"rows {string.Join(", ", excluded.Select(b => b + 1))} (clean = corrupted logit difference: normalisation undefined)"));
        info.AddRange(options.ExtraInfo);
        string reportPath = Path.Combine(outDir, "report.html");
        PatchingReport.Save(reportPath, new PatchingReportInput
        {
            Title = $"CircuitLens · activation patching · {model.Config.ModelName}",
            Context = context, RunInfo = info, Tables = options.ExtraTables,
            Results = job.Exact, Attribution = job.Attribution, Agreement = agreement,
            Attention = AttentionExamples(model, tokenized),
        });
        files.Add(reportPath);

        WriteRunJson(Path.Combine(outDir, "run.json"), model, weights, prependBos, datasetHash, pairs.Count, options, job, excluded, elapsed + clock.Elapsed, files);
    }

    // Pairs whose clean and corrupted metrics are equal have no normalised score: name them (1-based rows of the
    // pairs source), or refuse when no pair is left; the normalised maps leave them out (PatchingResult).
    private static IReadOnlyList<int> CheckBaselines(PatchingJobResult job, string source)
    {
        var degenerate = PatchingResult.DegeneratePairs(job.CleanLogitDiff, job.CorruptLogitDiff);
        string rows = string.Join(", ", degenerate.Take(20).Select(b => b + 1)) + (degenerate.Count > 20 ? $", … ({degenerate.Count} in all)" : "");
        if (degenerate.Count == job.CleanLogitDiff.Length)
            throw new CircuitLensException($"{source}: every pair has equal clean and corrupted logit differences (rows {rows}), so no normalised score is defined; the corruption changes nothing the metric sees");
        if (degenerate.Count > 0)
            Console.Error.WriteLine($"warning: {source}: row(s) {rows}: clean and corrupted logit differences are equal (normalisation undefined); excluded from the normalised maps, kept in the raw arrays");
        return degenerate;
    }

    private static JsonNode? FiniteOrNull(float v) => float.IsFinite(v) ? JsonValue.Create(v) : null;   // JSON has no NaN

    // Token labels for position maps: meaningful only when every pair has the same length (one template).
    private static string[]? PositionLabels(HookedTransformer model, IoiTokenizedPairs pairs)
    {
        int len = pairs.Clean[0].Length;
        if (pairs.Clean.Any(c => c.Length != len)) return null;
        return pairs.Clean[0].Select((id, i) => $"{i}:{model.Tokenizer.TokenToString(id)}").ToArray();
    }

    // Every head's attention pattern on the clean prompts of the first few examples, for the report's pattern viewer.
    private static IReadOnlyList<AttentionExample> AttentionExamples(HookedTransformer model, IoiTokenizedPairs pairs, int count = 3)
    {
        int L = model.Config.NLayers, H = model.Config.NHeads;
        var examples = new List<AttentionExample>();
        for (int b = 0; b < Math.Min(count, pairs.Clean.Count); b++)
        {
            var tokens = pairs.Clean[b];
            int T = tokens.Length;
            var (_, cache) = model.RunWithCache(TokenBatch.Single(tokens), name => name.EndsWith("attn.hook_pattern"), new ForwardOptions { Logits = LogitsMode.None });
            var patterns = Tensor.Zeros(L, H, T, T);
            for (int l = 0; l < L; l++)
                cache[HookPoint.Pattern, l].Span[..(H * T * T)].CopyTo(patterns.Span.Slice(l * H * T * T, H * T * T));   // [1, head, q, k] → [layer, head, q, k]
            examples.Add(new AttentionExample(pairs.Pairs[b].Clean, tokens.Select(id => model.Tokenizer.TokenToString(id)).ToArray(), patterns));
        }
        return examples;
    }

    public static string DatasetHash(IReadOnlyList<IoiPair> pairs)
    {
        var sb = new StringBuilder();
        foreach (var p in pairs) sb.Append(IoiJsonl.ToJsonLine(p)).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static void WriteRunJson(string path, HookedTransformer model, string weights, bool bos, string datasetHash, int pairs, PatchStageOptions options,
        PatchingJobResult job, IReadOnlyList<int> excluded, TimeSpan total, List<string> files)
    {
        var cfg = model.Config;
        var json = new JsonObject
        {
            ["tool"] = "circuitlens",
            ["version"] = typeof(PatchStage).Assembly.GetName().Version?.ToString(),
            ["created_utc"] = DateTime.UtcNow.ToString("O"),
            ["model"] = new JsonObject { ["name"] = cfg.ModelName, ["n_layers"] = cfg.NLayers, ["n_heads"] = cfg.NHeads, ["d_model"] = cfg.DModel, ["d_mlp"] = cfg.DMlp, ["vocab_size"] = cfg.VocabSize, ["parameters"] = model.Weights.ParameterCount, ["weights_sha256"] = weights },
            ["prepend_bos"] = bos,
            ["dataset"] = new JsonObject { ["source"] = options.PairsSource, ["sha256"] = datasetHash, ["pairs"] = pairs },
            ["metric"] = "logit(answer) - logit(wrong) at the last position",
            ["normalization"] = new JsonObject
            {
                ["per_example"] = "<sweep>_normalized.npy = (patched_b - corrupt_b) / (clean_b - corrupt_b)",
                ["batch_mean"] = "<sweep>_normalized_mean.npy = (mean patched - mean corrupt) / (mean clean - mean corrupt) (TransformerLens form; maps show this)",
                ["positions"] = "position axes index each pair's real tokens (BOS included when prepended); NaN past a pair's length",
            },
            ["method"] = options.Method.ToString().ToLowerInvariant(),
            ["sweeps"] = new JsonArray(options.Sweeps.Select(s => (JsonNode)JsonValue.Create(s.Name)!).ToArray()),
            ["chunk_size"] = options.ChunkSize,
            ["mean_clean_logit_diff"] = job.CleanLogitDiff.Average(),
            ["mean_corrupt_logit_diff"] = job.CorruptLogitDiff.Average(),
            ["timings_seconds"] = new JsonObject { ["exact"] = job.ExactTime.TotalSeconds, ["attribution"] = job.AttributionTime.TotalSeconds, ["total"] = total.TotalSeconds },
            ["resumed_chunks"] = job.ResumedChunks,
            ["excluded_from_normalized"] = new JsonArray(excluded.Select(b => (JsonNode)new JsonObject
            {
                ["row"] = b + 1, ["clean_logit_diff"] = FiniteOrNull(job.CleanLogitDiff[b]), ["corrupt_logit_diff"] = FiniteOrNull(job.CorruptLogitDiff[b]),
                ["reason"] = $"|clean - corrupt| < {PatchingResult.MinBaselineGap}: normalisation undefined",
            }).ToArray()),
            ["environment"] = new JsonObject { ["dotnet"] = Environment.Version.ToString(), ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription, ["cores"] = Environment.ProcessorCount, ["gemm_threads"] = Gemm.MaxThreads },
            ["files"] = new JsonArray(files.Select(f => (JsonNode)JsonValue.Create(Path.GetFileName(Path.GetDirectoryName(f)) == "attribution" ? "attribution/" + Path.GetFileName(f) : Path.GetFileName(f))!).ToArray()),
        };
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
