// Runs a set of sweeps over a whole dataset in chunks of pairs, so memory stays bounded and an
// interrupted job resumes from the last finished chunk (each chunk's raw results are saved under
// <checkpoint dir>/chunk-NNNN/ before the next starts). Chunks are padded independently; positions
// are real token indices, so results concatenate along the batch with NaN past each pair's length.
using System.Diagnostics;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Patching;

public sealed record PatchingJobOptions
{
    public required IReadOnlyList<Sweep> Sweeps { get; init; }
    public PatchingMethod Method { get; init; } = PatchingMethod.Exact;
    /// <summary>Pairs per chunk (the unit of progress and of resuming).</summary>
    public int ChunkSize { get; init; } = 25;
    /// <summary>Where finished chunks are kept for resuming; null keeps nothing.</summary>
    public string? CheckpointDir { get; init; }
    /// <summary>Identifies the job (model, data, options): a checkpoint made for another job is refused.</summary>
    public string Fingerprint { get; init; } = "";
    public FastPatchingOptions Fast { get; init; } = new();
}

/// <summary>How far the whole job has come (0..1) and what it is doing.</summary>
public readonly record struct JobProgress(double Fraction, string Stage);

public sealed class PatchingJobResult
{
    public required IReadOnlyList<PatchingResult> Exact { get; init; }        // empty for Attribution
    public required IReadOnlyList<PatchingResult> Attribution { get; init; }  // empty for Exact/Plain
    /// <summary>The results the maps show: exact when it ran, else attribution.</summary>
    public IReadOnlyList<PatchingResult> Primary => Exact.Count > 0 ? Exact : Attribution;
    /// <summary>The metric on each clean and corrupted prompt, unpatched.</summary>
    public required float[] CleanMetric { get; init; }
    public required float[] CorruptMetric { get; init; }
    /// <summary>The metric's name ("logit-diff", ...).</summary>
    public required string Metric { get; init; }
    public TimeSpan ExactTime { get; init; }
    public TimeSpan AttributionTime { get; init; }
    public int ResumedChunks { get; init; }
}

public static class PatchingJob
{
    public static PatchingJobResult Run(HookedTransformer model, PatchingBatch data, PatchingJobOptions options,
        IProgress<JobProgress>? progress = null, CancellationToken ct = default)
    {
        if (options.ChunkSize < 1) throw new CircuitLensException("chunk size must be at least 1");
        PrepareCheckpointDir(options);
        bool exact = options.Method != PatchingMethod.Attribution, attribution = options.Method is PatchingMethod.Attribution or PatchingMethod.Both;
        var methods = new List<(string Tag, Func<PatchingBatch, IProgress<PatchingProgress>?, IReadOnlyList<PatchingResult>> Run)>();
        if (exact)
            methods.Add(("exact", options.Method == PatchingMethod.Plain
                ? (chunk, p) => options.Sweeps.Select((s, i) => ActivationPatching.Run(model, chunk, s,
                    p is null ? null : new SyncProgress<PatchingProgress>(q => p.Report(q with { Done = i * q.Total + q.Done, Total = q.Total * options.Sweeps.Count })), ct)).ToList()
                : (chunk, p) => FastActivationPatching.RunMany(model, chunk, options.Sweeps, options.Fast, p, ct)));
        if (attribution)
            methods.Add(("attribution", (chunk, _) => AttributionPatching.Run(model, chunk, options.Sweeps)));

        int chunks = data.Count / options.ChunkSize + (data.Count % options.ChunkSize == 0 ? 0 : 1), resumed = 0;   // no overflow for a huge chunk size
        var perMethod = methods.Select(_ => new List<IReadOnlyList<PatchingResult>>()).ToList();
        var times = new TimeSpan[methods.Count];
        // each method's share of the job's time, for the progress fraction: attribution costs a few percent of an exact sweep
        var share = methods.Select(m => methods.Count == 1 ? 1.0 : m.Tag == "attribution" ? 0.05 : 0.95).ToArray();
        for (int c = 0; c < chunks; c++)
        {
            int start = c * options.ChunkSize, count = Math.Min(options.ChunkSize, data.Count - start);
            var chunk = data.Slice(start, count);
            for (int m = 0; m < methods.Count; m++)
            {
                ct.ThrowIfCancellationRequested();
                string tag = methods[m].Tag;
                double before = (c + share.Take(m).Sum()) / chunks, width = share[m] / chunks;
                var saved = TryLoadChunk(options, c, tag, data.Metric.Name);
                if (saved is not null) { perMethod[m].Add(saved); resumed++; continue; }
                progress?.Report(new JobProgress(before, $"{tag}: pairs {start + 1}-{start + count} of {data.Count}"));
                var inner = progress is null ? null : new SyncProgress<PatchingProgress>(p =>
                    progress.Report(new JobProgress(before + width * p.Done / Math.Max(1, p.Total), $"{tag} {p.Sweep}: pairs {start + 1}-{start + count} of {data.Count}")));
                var clock = Stopwatch.StartNew();
                var results = methods[m].Run(chunk, inner);
                string metricName = data.Metric is Metrics.LogitDiffMetric ? "logit difference" : data.Metric.Name;
                NonFiniteMetric.Check(model, $"clean {metricName}", results[0].CleanMetric, i => chunk.Clean.Row(i).ToArray(), start);
                NonFiniteMetric.Check(model, $"corrupted {metricName}", results[0].CorruptMetric, i => chunk.Corrupt.Row(i).ToArray(), start);
                times[m] += clock.Elapsed;
                SaveChunk(options, c, tag, results);
                perMethod[m].Add(results);
            }
        }
        progress?.Report(new JobProgress(1, "done"));
        var merged = perMethod.Select(list => Concatenate(list, options.Sweeps, data.SeqLen)).ToList();
        var first = merged[0][0];
        return new PatchingJobResult
        {
            Exact = exact ? merged[0] : [],
            Attribution = attribution ? merged[^1] : [],
            CleanMetric = first.CleanMetric,
            CorruptMetric = first.CorruptMetric,
            Metric = data.Metric.Name,
            ExactTime = exact ? times[0] : TimeSpan.Zero,
            AttributionTime = attribution ? times[^1] : TimeSpan.Zero,
            ResumedChunks = resumed,
        };
    }

    // Joins chunk results along the batch axis; position axes are widened to the longest pair with NaN.
    private static IReadOnlyList<PatchingResult> Concatenate(List<IReadOnlyList<PatchingResult>> chunks, IReadOnlyList<Sweep> sweeps, int seqLen)
    {
        var result = new List<PatchingResult>();
        for (int s = 0; s < sweeps.Count; s++)
        {
            var parts = chunks.Select(c => c[s]).ToList();
            int batch = parts.Sum(p => p.BatchSize);
            var shape = (int[])parts[0].Patched.Shape.Clone();
            shape[0] = batch;
            if (sweeps[s].PerPosition) shape[2] = seqLen;
            var patched = Tensor.Zeros(shape);
            patched.Span.Fill(float.NaN);
            int b0 = 0;
            foreach (var part in parts)
            {
                for (int b = 0; b < part.BatchSize; b++)
                {
                    var src = part.Patched; var dst = patched.Slice(b0 + b);
                    int layers = src.Dim(1), inner = src.Length / src.Dim(0) / layers, dstInner = dst.Length / layers;
                    for (int l = 0; l < layers; l++) src.Slice(b, l).CopyTo(dst.Slice(l * dstInner, inner));
                }
                b0 += part.BatchSize;
            }
            result.Add(new PatchingResult(sweeps[s], patched, parts.SelectMany(p => p.CleanMetric).ToArray(), parts.SelectMany(p => p.CorruptMetric).ToArray(), parts[0].Metric));
        }
        return result;
    }

    private static void PrepareCheckpointDir(PatchingJobOptions options)
    {
        if (options.CheckpointDir is not { } dir) return;
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "fingerprint.txt");
        if (File.Exists(path))
        {
            if (File.ReadAllText(path) != options.Fingerprint)
                throw new CircuitLensException($"{dir} holds partial results of a different run (model, pairs or options changed); use a new output directory or delete it");
        }
        else AtomicFile.WriteAllText(path, options.Fingerprint);
    }

    /// <summary>
    /// Deletes a finished job's checkpoint so that an interruption at any moment leaves a valid one:
    /// each chunk loses its "complete" marker before its arrays, and fingerprint.txt goes last, so a
    /// half-deleted checkpoint never offers a chunk without its files or chunks without their job's identity.
    /// </summary>
    public static void DeleteCheckpoint(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var chunk in Directory.GetDirectories(dir))
        {
            string marker = Path.Combine(chunk, "complete");
            if (File.Exists(marker)) File.Delete(marker);
            Directory.Delete(chunk, recursive: true);
        }
        foreach (var file in Directory.GetFiles(dir).OrderBy(f => Path.GetFileName(f) == "fingerprint.txt")) File.Delete(file);
        Directory.Delete(dir);
    }

    private static string ChunkDir(PatchingJobOptions options, int chunk, string tag) => Path.Combine(options.CheckpointDir!, $"chunk-{chunk:D4}-{tag}");

    private static IReadOnlyList<PatchingResult>? TryLoadChunk(PatchingJobOptions options, int chunk, string tag, string metric)
    {
        if (options.CheckpointDir is null) return null;
        string dir = ChunkDir(options, chunk, tag);
        if (!File.Exists(Path.Combine(dir, "complete"))) return null;
        var clean = NpyFile.Read(Path.Combine(dir, "clean_metric.npy")).Data;
        var corrupt = NpyFile.Read(Path.Combine(dir, "corrupt_metric.npy")).Data;
        return options.Sweeps.Select(s => new PatchingResult(s, NpyFile.Read(Path.Combine(dir, s.Name + ".npy")), clean, corrupt, metric)).ToList();
    }

    private static void SaveChunk(PatchingJobOptions options, int chunk, string tag, IReadOnlyList<PatchingResult> results)
    {
        if (options.CheckpointDir is null) return;
        string dir = ChunkDir(options, chunk, tag);
        Directory.CreateDirectory(dir);
        NpyFile.Write(Path.Combine(dir, "clean_metric.npy"), new Tensor(results[0].CleanMetric, results[0].CleanMetric.Length));
        NpyFile.Write(Path.Combine(dir, "corrupt_metric.npy"), new Tensor(results[0].CorruptMetric, results[0].CorruptMetric.Length));
        foreach (var r in results) NpyFile.Write(Path.Combine(dir, r.Sweep.Name + ".npy"), r.Patched);
        AtomicFile.WriteAllText(Path.Combine(dir, "complete"), "ok");   // written last: marks the chunk as whole
    }
}
