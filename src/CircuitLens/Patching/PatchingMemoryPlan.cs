// How a patching job fits a memory budget (`--max-memory SIZE`, and automatic chunking by default): from
// the model's shape (Gpt2Config, no weights needed), the pairs' token lengths, the method, the sweeps and
// the device, it estimates the peak — weights + the chunks' caches and workspaces + the results — and
// picks the largest chunk of pairs (at most the one asked for), fast-engine rows per run (MaxRowsPerRun)
// and attribution chunk whose peak stays under the budget. It refuses a budget the weights alone exceed,
// or that even one pair at a time cannot meet. The estimate counts float32 buffers the engines allocate
// (see each term). On the cpu the chunks' buffers are garbage-collected arrays, and the collector may not
// have reclaimed earlier chunks when the next one allocates: the plan counts up to three earlier chunks
// besides the live one, and 192 MiB for the runtime itself (measured on GPT-2 small shapes, head-z, chunks
// of 25: peak working set 1.18 GB for one chunk, 1.92 GB for four — one chunk's buffers are 0.25 GB). On a
// device the workspace is allocated explicitly and reused: one chunk.
//
// Default budget (no --max-memory): cuda — the device's memory; cpu and ilgpu-cpu — the memory .NET may
// use (physical RAM or the container's limit: GCMemoryInfo.TotalAvailableMemoryBytes), less 10 % for the
// runtime and the rest of the process.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Model.Devices;

namespace CircuitLens.Patching;

/// <summary>What the job needs to know to plan: the model's shape, each pair's token length, what runs where, and the chunk and rows asked for.</summary>
public sealed record MemoryPlanRequest
{
    public required Gpt2Config Config { get; init; }
    /// <summary>Tokens of each pair (clean and corrupted have the same length), BOS included when prepended.</summary>
    public required IReadOnlyList<int> PairLengths { get; init; }
    public required IReadOnlyList<Sweep> Sweeps { get; init; }
    public PatchingMethod Method { get; init; } = PatchingMethod.Exact;
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;
    /// <summary>The budget in bytes; null = the device's default (see the file header).</summary>
    public long? BudgetBytes { get; init; }
    /// <summary>The largest chunk the plan may choose (the user's --chunk-size).</summary>
    public int MaxChunkSize { get; init; } = 25;
    public int MaxRowsPerRun { get; init; } = new FastPatchingOptions().MaxRowsPerRun;
}

/// <summary>The chosen chunking and its estimated peak, with the terms it adds up (bytes). Attribution runs per job chunk (its own
/// chunks of 128 pairs never split one), so its chunk is the job's; null when no attribution runs.</summary>
public sealed record PatchingMemoryPlan(long BudgetBytes, string BudgetSource, int ChunkSize, int MaxRowsPerRun, int? AttributionChunkSize,
    long WeightsBytes, long ChunkBytes, int HeldChunks, long RuntimeBytes, long ResultsBytes)
{
    /// <summary>Chunks whose buffers may be alive at once on the cpu: the live one and up to three the garbage collector has not reclaimed.</summary>
    public const int MaxHeldChunksOnCpu = 4;
    /// <summary>The .NET runtime, JIT and tokenizer of a cpu run.</summary>
    public const long CpuRuntimeBytes = 192L << 20;

    public long EstimatedPeakBytes => WeightsBytes + RuntimeBytes + ChunkBytes * HeldChunks + ResultsBytes;

    public FastPatchingOptions Fast => new() { MaxRowsPerRun = MaxRowsPerRun };

    /// <summary>One line for stderr.</summary>
    public string Summary =>
        $"memory plan: budget {ByteSize.Format(BudgetBytes)} ({BudgetSource}); weights {ByteSize.Format(WeightsBytes)}, chunk of {ChunkSize} pair(s) {ByteSize.Format(ChunkBytes)}"
        + (HeldChunks > 1 ? $" × {HeldChunks} (earlier chunks not yet collected)" : "") + (RuntimeBytes > 0 ? $", runtime {ByteSize.Format(RuntimeBytes)}" : "") + ", "
        + $"results {ByteSize.Format(ResultsBytes)}; fast-engine rows per run {MaxRowsPerRun}{(AttributionChunkSize is { } a ? $", attribution chunk {a}" : "")}; estimated peak {ByteSize.Format(EstimatedPeakBytes)}";

    public static PatchingMemoryPlan For(MemoryPlanRequest request)
    {
        if (request.PairLengths.Count == 0) throw new CircuitLensException("no pairs to plan for");
        int T = request.PairLengths.Max();
        bool attribution = request.Method is PatchingMethod.Attribution or PatchingMethod.Both;
        return Search(request, ResultBytesFor(request, T), (chunk, rows) => ChunkBytesFor(request, chunk, rows, T), attribution);
    }

    /// <summary>The plan of path patching (`path-patch`): its chunks of pairs, and the fast engine's rows per run (senders stacked);
    /// <paramref name="request"/>'s sweeps and method are not used.</summary>
    public static PatchingMemoryPlan ForPathPatching(MemoryPlanRequest request)
    {
        if (request.PairLengths.Count == 0) throw new CircuitLensException("no pairs to plan for");
        var c = request.Config;
        long T = request.PairLengths.Max(), B = request.PairLengths.Count;
        // the clean cache (resid_pre, resid_mid, attn_out, z), the corrupted z, two cached forward passes, and the stacked rows
        // of the senders' step-1 runs (residual, LayerNorm, MLP hidden twice, outputs); results [batch, layer, head] and their normalised copies
        long Chunk(int chunk, int rows) => 4 * (5L * c.NLayers * chunk * T * c.DModel + 2 * ForwardFloats(c, chunk, T) + (long)rows * (6L * c.DModel + 2L * c.DMlp));
        return Search(request, 4 * 3 * B * c.NLayers * c.NHeads, Chunk, attribution: false);
    }

    // the largest chunk (at most the one asked for), then the most rows per run, whose estimated peak fits the budget
    private static PatchingMemoryPlan Search(MemoryPlanRequest request, long results, Func<int, int, long> chunkBytes, bool attribution)
    {
        var cfg = request.Config;
        if (request.MaxChunkSize < 1) throw new CircuitLensException("chunk size must be at least 1");
        var (budget, source) = request.BudgetBytes is { } b ? (b, "--max-memory") : DefaultBudget(request.Device);
        long weights = WeightBytesFor(cfg, request.Device);
        if (weights > budget)
            throw new CircuitLensException($"the model's weights alone need {ByteSize.Format(weights)} ({ParameterCount(cfg) / 1e6:0.#} M parameters{(request.Device == DeviceKind.Cpu ? ", kept raw and packed for the GEMM" : "")}), more than the memory budget of {ByteSize.Format(budget)} ({source})");
        int T = request.PairLengths.Max(), pairs = request.PairLengths.Count;
        int chunk = Math.Min(request.MaxChunkSize, pairs);
        int rows = Math.Max(T, request.MaxRowsPerRun);   // a run holds at least one pair's rows
        bool host = request.Device == DeviceKind.Cpu;
        long runtime = host ? CpuRuntimeBytes : 0;
        int Held(int c) => host ? Math.Min(MaxHeldChunksOnCpu, (pairs + c - 1) / c) : 1;
        long Peak(int c, int r) => weights + runtime + results + chunkBytes(c, r) * Held(c);
        while (Peak(chunk, rows) > budget && chunk > 1) chunk = Math.Max(1, chunk / 2);
        while (Peak(chunk, rows) > budget && rows > T) rows = Math.Max(T, rows / 2);
        if (Peak(chunk, rows) > budget)
            throw new CircuitLensException($"even one pair at a time needs about {ByteSize.Format(Peak(chunk, rows))} (weights {ByteSize.Format(weights)}, results {ByteSize.Format(results)}), more than the memory budget of {ByteSize.Format(budget)} ({source}); raise --max-memory, patch fewer sweeps or layers, or shard the run");
        return new PatchingMemoryPlan(budget, source, chunk, rows, attribution ? chunk : null, weights, chunkBytes(chunk, rows), Held(chunk), runtime, results);
    }

    /// <summary>The device's default budget and where it comes from.</summary>
    public static (long Bytes, string Source) DefaultBudget(DeviceKind device)
    {
        if (device == DeviceKind.Cuda)
        {
            var cards = DeviceCatalog.CudaDevices(out _);
            if (cards.Count > 0 && cards[0].MemoryBytes is long m) return (m, $"the memory of {cards[0].Name}");
        }
        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return ((long)(total * 0.9), "90 % of the memory available to this process");
    }

    public static long ParameterCount(Gpt2Config c)
    {
        long C = c.DModel, M = c.DMlp;
        long perLayer = 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + 2 * C + (C * M + M) + (M * C + C);
        return (long)c.VocabSize * C + (long)c.NCtx * C + c.NLayers * perLayer + 2 * C;
    }

    // float32; on the cpu every GEMM weight is also held packed (Gpt2Weights.Packed, the unembedding transposed): about twice
    private static long WeightBytesFor(Gpt2Config c, DeviceKind device) => 4 * ParameterCount(c) * (device == DeviceKind.Cpu ? 2 : 1);

    // one hook point's activation for B pairs of T tokens (all layers)
    private static long PointFloats(Gpt2Config c, HookPoint p, long B, long T) => c.NLayers * B * T * p switch
    {
        HookPoint.Pattern or HookPoint.AttnScores => c.NHeads * T,
        HookPoint.MlpPre or HookPoint.MlpPost => c.DMlp,
        _ => c.DModel,
    };

    // a forward pass's own buffers for B·T rows (ForwardWorkspace): residual, LayerNorm, qkv, z, outputs, MLP, one layer's attention scores
    private static long ForwardFloats(Gpt2Config c, long B, long T) => B * T * (10L * c.DModel + 2L * c.DMlp) + B * c.NHeads * T * T;

    /// <summary>One chunk of <paramref name="chunk"/> pairs padded to <paramref name="T"/> tokens: the engines' caches and workspaces, in bytes.</summary>
    public static long ChunkBytesFor(MemoryPlanRequest r, int chunk, int rows, int T)
    {
        var c = r.Config;
        long B = chunk, exact = 0, attribution = 0;
        if (r.Method == PatchingMethod.Plain)
            // the clean cache of the sweeps' points, and one hooked forward pass at a time (last-position logits)
            exact = r.Sweeps.Select(s => s.Point).Distinct().Sum(p => PointFloats(c, p, B, T)) + ForwardFloats(c, B, T) + B * c.VocabSize;
        else if (r.Method != PatchingMethod.Attribution)
        {
            // FastActivationPatching: clean cache (the sweeps' points) + corrupted cache (what the suffix runs read), two cached forward passes,
            // and the SuffixRunner's rows (residual, LayerNorm in/out, qkv, z, attention/MLP outputs, MLP hidden, one row of each head's pattern)
            var clean = r.Sweeps.Select(s => s.Point).ToHashSet();
            var corrupt = new HashSet<HookPoint> { HookPoint.ResidPre, HookPoint.K, HookPoint.V, HookPoint.Z, HookPoint.Q, HookPoint.AttnOut, HookPoint.MlpOut, HookPoint.ResidMid };
            if (clean.Contains(HookPoint.MlpPost)) corrupt.Add(HookPoint.MlpPost);
            exact = clean.Sum(p => PointFloats(c, p, B, T)) + corrupt.Sum(p => PointFloats(c, p, B, T)) + ForwardFloats(c, B, T)
                + (long)rows * (8L * c.DModel + c.DMlp + 1 + (long)c.NHeads * T);
        }
        if (r.Method is PatchingMethod.Attribution or PatchingMethod.Both)
            // AttributionPatching: corrupted and clean caches of every point, the gradients the backward pass keeps, its own workspace
            attribution = B * T * c.NLayers * (14L * c.DModel + 4L * c.DMlp + 3L * c.NHeads * T) + 2 * ForwardFloats(c, B, T);
        return 4 * (exact + attribution);   // both methods of a chunk may be alive at once
    }

    // the whole dataset's results: each sweep's raw array, its chunks before joining, and the normalised copies written out
    private static long ResultBytesFor(MemoryPlanRequest r, int T)
    {
        long B = r.PairLengths.Count, per = 0;
        foreach (var s in r.Sweeps) per += s.Shape(r.Config, 1, T).Aggregate(1L, (a, d) => a * d);
        int methods = r.Method == PatchingMethod.Both ? 2 : 1;
        return 4 * 3 * B * per * methods;
    }
}

/// <summary>Byte sizes as users write them: "24G", "512M", "1.5GB", "800000000".</summary>
public static class ByteSize
{
    public static long Parse(string text)
    {
        string t = text.Trim().ToUpperInvariant();
        if (t.EndsWith("IB")) t = t[..^2];
        else if (t.EndsWith('B')) t = t[..^1];
        long unit = t.Length == 0 ? 1 : t[^1] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1 };
        if (unit != 1) t = t[..^1];
        if (!double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v <= 0 || v * unit > long.MaxValue / 2)
            throw new CircuitLensException($"--max-memory '{text}' is not a size (e.g. 24G, 512M, 1.5T)");
        return (long)(v * unit);
    }

    public static string Format(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.0} GiB" : $"{bytes / (double)(1L << 20):0.0} MiB";
}
