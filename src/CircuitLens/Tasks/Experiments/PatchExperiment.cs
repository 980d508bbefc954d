// The cache-and-patch stage of an experiment (`circuitlens patch`, step 4 of `ioi` and of every task):
// runs the sweeps (resumable by chunk) with the pairs' metric, and writes the arrays, pictures,
// run.json and report.html into one directory. A library user runs generate → filter → patch → write
// with PairSet, CorrectnessStage and this; the CLI only parses options, shows progress and prints Notes.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Reports;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tasks.Runs;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Experiments;

public sealed record PatchExperimentOptions
{
    public required IReadOnlyList<Sweep> Sweeps { get; init; }
    public PatchingMethod Method { get; init; } = PatchingMethod.Exact;
    public int ChunkSize { get; init; } = 25;
    public bool Plots { get; init; } = true;
    /// <summary>Outline the IOI paper's head classes on head maps.</summary>
    public bool MarkIoiHeads { get; init; } = true;
    public string Title { get; init; } = "activation patching";
    public IReadOnlyList<(string Heading, string[] Header, IReadOnlyList<string[]> Rows)> ExtraTables { get; init; } = [];
    public IReadOnlyList<(string Key, string Value)> ExtraInfo { get; init; } = [];
    /// <summary>The fast exact engine's settings (rows per batched run: PatchingMemoryPlan chooses them for a memory budget).</summary>
    public FastPatchingOptions Fast { get; init; } = new();
}

/// <summary>The job's results, the files written, exact-vs-attribution agreement, notes (progress facts) and warnings for the caller to print,
/// and the pairs (0-based) left out of the normalised maps because their clean and corrupted metrics are equal.</summary>
public sealed record PatchExperimentResult(PatchingJobResult Job, IReadOnlyList<string> Files, IReadOnlyList<SweepAgreement> Agreement,
    IReadOnlyList<string> Notes, IReadOnlyList<string> Warnings, IReadOnlyList<int> Excluded)
{
    public string ReportPath => Files.First(f => Path.GetFileName(f) == "report.html");
}

public static class PatchExperiment
{
    public static PatchExperimentResult Run(HookedTransformer model, PairSet pairs, bool prependBos, string outDir, PatchExperimentOptions options,
        IProgress<JobProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        if (options.ChunkSize < 1) throw new CircuitLensException("chunk size must be at least 1");
        var tokenized = pairs.Tokenize(model, prependBos);
        var batch = tokenized.ToPatchingBatch();
        string datasetHash = DatasetHash(pairs);
        string weights = WeightsFingerprint.Compute(model);
        string fingerprint = $"model={model.Config.ModelName};weights={weights};bos={prependBos};data={datasetHash};metric={pairs.Metric};sweeps={string.Join(',', options.Sweeps.Select(s => s.Name + (s.Layers is null ? "" : "@" + string.Join('+', s.Layers))))};method={options.Method};chunk={options.ChunkSize}";
        Directory.CreateDirectory(outDir);
        RunDirectory.RemoveTemporaryFiles(outDir);   // an interrupted earlier write of this run
        string checkpoint = Path.Combine(outDir, ".checkpoint");
        var job = PatchingJob.Run(model, batch, new PatchingJobOptions
        {
            Sweeps = options.Sweeps, Method = options.Method, ChunkSize = options.ChunkSize, CheckpointDir = checkpoint, Fingerprint = fingerprint, Fast = options.Fast,
        }, progress, ct);
        var notes = new List<string>();
        if (job.ResumedChunks > 0) notes.Add($"resumed {job.ResumedChunks} finished chunk(s) from {checkpoint}");
        PatchExperimentResult result;
        try { result = Write(model, tokenized, batch, weights, datasetHash, prependBos, outDir, options, job, clock.Elapsed); }
        catch (CircuitLensException)
        {
            PatchingJob.DeleteCheckpoint(checkpoint);   // refused (e.g. every pair degenerate): a rerun would refuse again, so there is nothing to resume
            throw;
        }
        PatchingJob.DeleteCheckpoint(checkpoint);
        return result with { Notes = [.. notes, .. result.Notes] };
    }

    /// <summary>Writes the arrays, pictures, report.html and run.json of a finished job into <paramref name="outDir"/>: what <see cref="Run"/>
    /// does after patching, and how `merge` writes the union of `patch --shard` directories (the job joined from their arrays).
    /// <paramref name="elapsed"/> is the time already spent (run.json's total adds the writing).</summary>
    public static PatchExperimentResult WriteOutputs(HookedTransformer model, PairSet pairs, bool prependBos, string outDir, PatchExperimentOptions options,
        PatchingJobResult job, TimeSpan elapsed)
    {
        var tokenized = pairs.Tokenize(model, prependBos);
        Directory.CreateDirectory(outDir);
        RunDirectory.RemoveTemporaryFiles(outDir);
        return Write(model, tokenized, tokenized.ToPatchingBatch(), WeightsFingerprint.Compute(model), DatasetHash(pairs), prependBos, outDir, options, job, elapsed);
    }

    private static PatchExperimentResult Write(HookedTransformer model, TokenizedPairs tokenized, PatchingBatch batch, string weights, string datasetHash,
        bool prependBos, string outDir, PatchExperimentOptions options, PatchingJobResult job, TimeSpan elapsed)
    {
        var clock = Stopwatch.StartNew();
        var pairs = tokenized.Pairs;
        var notes = new List<string>();
        var warnings = new List<string>();
        var excluded = CheckBaselines(job, pairs.Source, batch.Metric.Name, warnings);
        RunDirectory.RemovePreviousOutputs(outDir);   // a finished earlier run's files must not outlive it
        var files = new List<string>();
        var primary = job.Primary;
        files.AddRange(PatchingOutputs.Write(outDir, primary));
        IReadOnlyList<SweepAgreement> agreement = [];
        if (job.Exact.Count > 0 && job.Attribution.Count > 0)
        {
            files.AddRange(PatchingOutputs.Write(Path.Combine(outDir, "attribution"), job.Attribution));
            agreement = PatchingAgreement.Compare(job.Exact, job.Attribution);
            string path = Path.Combine(outDir, "agreement.json");
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(agreement, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            files.Add(path);
            foreach (var a in agreement) notes.Add(PatchingAgreement.Summary(a));
        }

        var context = new PatchingFigureContext(model.Config.ModelName, prependBos, pairs.Count, options.Method == PatchingMethod.Both ? "exact" : options.Method.ToString().ToLowerInvariant(),
            PositionLabels(model, tokenized), MarkIoiHeads: options.MarkIoiHeads);
        if (options.Plots)
        {
            files.AddRange(PatchingFigures.WriteAll(outDir, primary, context with { Method = job.Exact.Count > 0 ? context.Method : "attribution" }));
            if (job.Exact.Count > 0 && job.Attribution.Count > 0)
                files.AddRange(PatchingFigures.WriteAll(Path.Combine(outDir, "attribution"), job.Attribution, context with { Method = "attribution" }));
        }

        var info = new List<(string, string)>
        {
            ("model", model.Config.ModelName), ("prepend BOS", prependBos ? "yes" : "no"), ("pairs", pairs.Count.ToString()),
            ("metric", $"{batch.Metric.Name}: {batch.Metric.Description}"),
            ("method", options.Method.ToString().ToLowerInvariant()), ("sweeps", string.Join(", ", options.Sweeps.Select(s => s.Name))),
            ("exact patching time", $"{job.ExactTime.TotalSeconds:F1} s"), ("attribution time", $"{job.AttributionTime.TotalSeconds:F2} s"),
        };
        if (excluded.Count > 0) info.Add(("excluded pairs", $"rows {string.Join(", ", excluded.Select(b => b + 1))} (clean = corrupted {batch.Metric.Name}: normalisation undefined)"));
        info.AddRange(options.ExtraInfo);
        string reportPath = Path.Combine(outDir, "report.html");
        PatchingReport.Save(reportPath, new PatchingReportInput
        {
            Title = $"CircuitLens · {options.Title} · {model.Config.ModelName}",
            Context = context, RunInfo = info, Tables = options.ExtraTables,
            Results = job.Exact, Attribution = job.Attribution, Agreement = agreement,
            Attention = AttentionExamples(model, tokenized),
        });
        files.Add(reportPath);

        string runJson = Path.Combine(outDir, "run.json");
        WriteRunJson(runJson, model, weights, prependBos, datasetHash, pairs, batch, options, job, excluded, elapsed + clock.Elapsed, files);   // lists the others
        files.Add(runJson);
        return new PatchExperimentResult(job, files, agreement, notes, warnings, excluded);
    }

    // Pairs whose clean and corrupted metrics are equal have no normalised score: name them (1-based rows of the
    // pairs source) in a warning, or refuse when no pair is left; the normalised maps leave them out (PatchingResult).
    private static IReadOnlyList<int> CheckBaselines(PatchingJobResult job, string source, string metric, List<string> warnings)
    {
        var degenerate = PatchingResult.DegeneratePairs(job.CleanMetric, job.CorruptMetric);
        string rows = string.Join(", ", degenerate.Take(20).Select(b => b + 1)) + (degenerate.Count > 20 ? $", … ({degenerate.Count} in all)" : "");
        string what = metric == Patching.Metrics.LogitDiffMetric.MetricName ? "logit differences" : $"{metric} values";
        if (degenerate.Count == job.CleanMetric.Length)
            throw new CircuitLensException($"{source}: every pair has equal clean and corrupted {what} (rows {rows}), so no normalised score is defined; the corruption changes nothing the metric sees");
        if (degenerate.Count > 0)
            warnings.Add($"{source}: row(s) {rows}: clean and corrupted {what} are equal (normalisation undefined); excluded from the normalised maps, kept in the raw arrays");
        return degenerate;
    }

    // Token labels for position maps: meaningful only when every pair has the same length (one template).
    private static string[]? PositionLabels(HookedTransformer model, TokenizedPairs pairs)
    {
        int len = pairs.Clean[0].Length;
        if (pairs.Clean.Any(c => c.Length != len)) return null;
        return pairs.Clean[0].Select((id, i) => $"{i}:{model.Tokenizer.TokenToString(id)}").ToArray();
    }

    // Every head's attention pattern on the clean prompts of the first few examples, for the report's pattern viewer.
    private static IReadOnlyList<AttentionExample> AttentionExamples(HookedTransformer model, TokenizedPairs pairs, int count = 3)
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
            string prompt = pairs.Pairs.Rows[b].Clean ?? model.Tokenizer.Decode(tokens);
            examples.Add(new AttentionExample(prompt, tokens.Select(id => model.Tokenizer.TokenToString(id)).ToArray(), patterns));
        }
        return examples;
    }

    private static JsonNode? FiniteOrNull(float v) => float.IsFinite(v) ? JsonValue.Create(v) : null;   // JSON has no NaN

    /// <summary>SHA-256 of the rows as written to a pair file: identifies the dataset in run.json and in resume checks.</summary>
    public static string DatasetHash(PairSet pairs)
    {
        var sb = new StringBuilder();
        foreach (var row in pairs.Rows) sb.Append(PairFile.ToJsonLine(row)).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static void WriteRunJson(string path, HookedTransformer model, string weights, bool bos, string datasetHash, PairSet pairs, PatchingBatch batch,
        PatchExperimentOptions options, PatchingJobResult job, IReadOnlyList<int> excluded, TimeSpan total, List<string> files)
    {
        var cfg = model.Config;
        bool ld = batch.Metric.Name == Patching.Metrics.LogitDiffMetric.MetricName;
        var json = new JsonObject
        {
            ["tool"] = "circuitlens",
            ["version"] = typeof(PatchExperiment).Assembly.GetName().Version?.ToString(),
            ["created_utc"] = DateTime.UtcNow.ToString("O"),
            ["model"] = new JsonObject { ["name"] = cfg.ModelName, ["n_layers"] = cfg.NLayers, ["n_heads"] = cfg.NHeads, ["d_model"] = cfg.DModel, ["d_mlp"] = cfg.DMlp, ["vocab_size"] = cfg.VocabSize, ["parameters"] = model.Weights.ParameterCount, ["weights_sha256"] = weights },
            ["prepend_bos"] = bos,
            ["device"] = model.DeviceDescription,
            ["dataset"] = new JsonObject { ["source"] = pairs.Source, ["sha256"] = datasetHash, ["pairs"] = pairs.Count },
            ["metric"] = new JsonObject { ["name"] = batch.Metric.Name, ["description"] = batch.Metric.Description },
            ["normalization"] = new JsonObject
            {
                ["per_example"] = "<sweep>_normalized.npy = (patched_b - corrupt_b) / (clean_b - corrupt_b)",
                ["batch_mean"] = "<sweep>_normalized_mean.npy = (mean patched - mean corrupt) / (mean clean - mean corrupt) (TransformerLens form; maps show this)",
                ["positions"] = "position axes index each pair's real tokens (BOS included when prepended); NaN past a pair's length",
            },
            ["method"] = options.Method.ToString().ToLowerInvariant(),
            ["sweeps"] = new JsonArray(options.Sweeps.Select(s => (JsonNode)JsonValue.Create(s.Name)!).ToArray()),
            ["layers"] = options.Sweeps.FirstOrDefault(s => s.Layers is not null)?.Layers is { } layers
                ? new JsonArray(layers.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()) : "all",
            ["chunk_size"] = options.ChunkSize,
            ["mean_clean_metric"] = FiniteOrNull(job.CleanMetric.Average()),
            ["mean_corrupt_metric"] = FiniteOrNull(job.CorruptMetric.Average()),
            ["timings_seconds"] = new JsonObject { ["exact"] = job.ExactTime.TotalSeconds, ["attribution"] = job.AttributionTime.TotalSeconds, ["total"] = total.TotalSeconds },
            ["resumed_chunks"] = job.ResumedChunks,
            ["excluded_from_normalized"] = new JsonArray(excluded.Select(b => (JsonNode)new JsonObject
            {
                ["row"] = b + 1, [ld ? "clean_logit_diff" : "clean_metric"] = FiniteOrNull(job.CleanMetric[b]), [ld ? "corrupt_logit_diff" : "corrupt_metric"] = FiniteOrNull(job.CorruptMetric[b]),
                ["reason"] = $"|clean - corrupt| < {PatchingResult.MinBaselineGap}: normalisation undefined",
            }).ToArray()),
            ["environment"] = new JsonObject { ["dotnet"] = Environment.Version.ToString(), ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription, ["cores"] = Environment.ProcessorCount, ["gemm_threads"] = Gemm.MaxThreads },
            ["files"] = new JsonArray(files.Select(f => (JsonNode)JsonValue.Create(Path.GetFileName(Path.GetDirectoryName(f)) == "attribution" ? "attribution/" + Path.GetFileName(f) : Path.GetFileName(f))!).ToArray()),
        };
        if (ld)
        {
            json["mean_clean_logit_diff"] = FiniteOrNull(job.CleanMetric.Average());
            json["mean_corrupt_logit_diff"] = FiniteOrNull(job.CorruptMetric.Average());
        }
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
