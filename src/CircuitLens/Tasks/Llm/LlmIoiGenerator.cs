// Generates IOI pairs by asking an OpenAI-compatible chat model and keeping only what FormatFilter accepts.
// Requests go out in waves (at most the client's concurrency at a time) until enough pairs are accepted, the
// request budget is spent, or a request fails for good; replies are processed in request order, so a seeded run
// against a deterministic server is reproducible. Servers that support structured output are asked for
// {"pairs": [...]} by JSON schema; each pair then becomes one candidate line, so the same format filter judges
// both kinds of reply. It does not check whether GPT-2 solves the prompts (ModelFilter).
using System.Text.Json;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tasks.Llm;

public static class LlmIoiGenerator
{
    public static async Task<LlmIoiResult> GenerateAsync(LlmIoiOptions options, Func<string, int[]>? encode,
        IProgress<LlmIoiProgress>? progress = null, CancellationToken ct = default)
    {
        if (options.Count < 1) throw new CircuitLensException($"number of pairs must be at least 1, got {options.Count}");
        if (options.PairsPerRequest < 1) throw new CircuitLensException($"pairs per request must be at least 1, got {options.PairsPerRequest}");
        int maxRequests = options.ResolvedMaxRequests;
        if (maxRequests < 1) throw new CircuitLensException($"max requests must be at least 1, got {maxRequests}");

        using var client = new ChatCompletionsClient(options.Chat);
        var filter = new FormatFilter(encode);
        var accepted = new List<IoiPair>();
        var rejected = new List<FormatRejection>();
        string? error = null;
        int issued = 0;

        while (accepted.Count < options.Count && issued < maxRequests && error is null)
        {
            int remaining = options.Count - accepted.Count;
            // Ask for a little more than is missing: some lines are always rejected.
            int perRequest = Math.Min(options.PairsPerRequest, remaining + (remaining + 3) / 4);
            int wave = Math.Min(Math.Min(options.Chat.MaxConcurrency, maxRequests - issued),
                (int)Math.Ceiling(remaining / (double)perRequest));
            var calls = new Task<ChatCompletion>[wave];
            for (int i = 0; i < wave; i++)
            {
                int index = issued + i;
                var rng = options.Seed is { } seed ? new Random(HashCode.Combine(seed, index)) : new Random();
                calls[i] = client.CompleteAsync(new ChatRequest
                {
                    Messages = LlmIoiPrompt.Build(perRequest, rng),
                    Temperature = options.Temperature,
                    MaxTokens = options.MaxTokens,
                    Seed = options.Seed is { } s ? unchecked(s + index) : null,
                    JsonSchema = options.StructuredOutput ? PairsSchema.RootElement : null,
                    JsonSchemaName = "ioi_pairs",
                }, ct);
            }
            issued += wave;
            try { await Task.WhenAll(calls).ConfigureAwait(false); }
            catch (ChatApiException) { } // inspected per task below; other exceptions (cancellation) propagate

            foreach (var call in calls)
            {
                if (call.IsFaulted)
                {
                    var failure = call.Exception!.InnerException!;
                    if (failure is not ChatApiException) throw failure;
                    error ??= failure.Message;
                    continue;
                }
                if (call.IsCanceled) ct.ThrowIfCancellationRequested();
                Collect(call.Result.Content, filter, accepted, rejected, options.Count);
            }
            progress?.Report(new LlmIoiProgress(accepted.Count, options.Count, rejected.Count, issued, maxRequests));
        }

        return new LlmIoiResult
        {
            Pairs = accepted,
            Rejections = rejected,
            Target = options.Count,
            Requests = client.RequestsStarted,
            Attempts = client.AttemptsMade,
            RawLogPath = options.Chat.RawLogPath,
            Error = error,
        };
    }

    /// <summary>The structured-output schema: {"pairs": [{"clean", "corrupt", "io", "s"}, ...]}.</summary>
    internal static readonly JsonDocument PairsSchema = JsonDocument.Parse("""
        {"type": "object", "additionalProperties": false, "required": ["pairs"],
         "properties": {"pairs": {"type": "array", "items": {"type": "object", "additionalProperties": false,
           "required": ["clean", "corrupt", "io", "s"],
           "properties": {"clean": {"type": "string"}, "corrupt": {"type": "string"}, "io": {"type": "string"}, "s": {"type": "string"}}}}}}
        """);

    // A structured reply {"pairs": [...]} gives one candidate per pair; otherwise every line of the reply is one.
    internal static IEnumerable<string> CandidateLines(string content)
    {
        string trimmed = content.Trim();
        if (trimmed.StartsWith('{') && trimmed.Contains("\"pairs\"", StringComparison.Ordinal))
        {
            JsonDocument? doc = null;
            try { doc = JsonDocument.Parse(trimmed); }
            catch (JsonException) { }
            if (doc is not null)
            {
                using (doc)
                {
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("pairs", out var pairs)
                        && pairs.ValueKind == JsonValueKind.Array)
                        return pairs.EnumerateArray().Select(p => p.GetRawText().ReplaceLineEndings(" ")).ToList();
                }
            }
        }
        return content.Split('\n');
    }

    // Every non-blank candidate is judged; code-fence lines are the one wrapper we tolerate silently.
    private static void Collect(string content, FormatFilter filter, List<IoiPair> accepted, List<FormatRejection> rejected, int target)
    {
        int lineNumber = 0;
        foreach (var raw in CandidateLines(content))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith("```", StringComparison.Ordinal)) continue;
            if (accepted.Count >= target) return;
            var verdict = filter.CheckLine(line, lineNumber);
            if (verdict.Pair is { } pair) accepted.Add(pair with { Template = "llm" });
            else rejected.Add(verdict.Rejection!);
        }
    }
}
