// `circuitlens dataset ioi-llm`: asks an OpenAI-compatible chat endpoint for IOI pairs, keeps what the format filter
// accepts, and writes the pairs, `<out>.rejects.json` (counts per reason) and the raw responses. When the endpoint
// fails for good, what was accepted so far is still written and the command exits 1 with one error line.
using System.CommandLine;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Llm;

namespace CircuitLens.Cli.Commands;

internal static class DatasetIoiLlmCommand
{
    /// <param name="encode">GPT-2 encoder for single-token names, equal lengths and token positions; null skips them.</param>
    public static Command Create(Func<string, int[]>? encode = null)
    {
        var endpoint = new Option<string>("--endpoint") { Description = "OpenAI-compatible base URL (http://localhost:11434/v1) or full .../chat/completions URL", Required = true };
        var model = new Option<string>("--model") { Description = "Model name sent to the endpoint", Required = true };
        var count = new Option<int>("--n") { Description = "Number of accepted pairs wanted", DefaultValueFactory = _ => 100 }.Range(1, CommandLineRules.MaxPairs);
        var apiKeyEnv = new Option<string>("--api-key-env") { Description = "Environment variable holding the API key (unset: no Authorization header)", DefaultValueFactory = _ => "OPENAI_API_KEY" };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once", DefaultValueFactory = _ => 4 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for one response", DefaultValueFactory = _ => 60 }.PositiveAtMost(CommandLineRules.MaxTimeoutSeconds);
        var retries = new Option<int>("--retries") { Description = "Retries per request on 429/5xx/timeouts/connection errors", DefaultValueFactory = _ => 5 };
        var seed = new Option<int?>("--seed") { Description = "Seed for the prompts and the server's sampling" };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature", DefaultValueFactory = _ => 0.9 };
        var perRequest = new Option<int>("--per-request") { Description = "Pairs asked for in one request", DefaultValueFactory = _ => 20 };
        var maxRequests = new Option<int?>("--max-requests") { Description = "Request budget (default: 3x what a perfect model would need, plus 2)" };
        var output = new Option<string>("--out") { Description = "JSONL file for the accepted pairs", Required = true }.OutputFile();
        var raw = new Option<string?>("--raw") { Description = "JSONL log of every raw response (default: <out>.raw.jsonl)" }.OutputFile();
        var noSchema = new Option<bool>("--no-json-schema") { Description = "Do not ask for JSON-schema structured output (it is dropped by itself when a server refuses it)" };
        var command = new Command("ioi-llm", "Generate IOI pairs with a chat model, keeping only well-formed ones.")
        {
            endpoint, model, count, apiKeyEnv, concurrency, timeout, retries, seed, temperature, perRequest, maxRequests, output, raw, noSchema,
        };
        command.DerivedOutputFile(output, ".raw.jsonl", unless: raw);
        command.DerivedOutputFile(output, ".rejects.json");
        command.SetAction(async (parseResult, ct) =>
        {
            try
            {
                string outPath = parseResult.GetValue(output)!;
                double timeoutSeconds = parseResult.GetValue(timeout);
                if (!(timeoutSeconds > 0)) throw new CircuitLensException($"--timeout must be positive, got {timeoutSeconds}");
                var options = new LlmIoiOptions
                {
                    Chat = new ChatClientOptions
                    {
                        Endpoint = parseResult.GetValue(endpoint)!,
                        Model = parseResult.GetValue(model)!,
                        ApiKeyEnvironmentVariable = parseResult.GetValue(apiKeyEnv)!,
                        MaxConcurrency = parseResult.GetValue(concurrency),
                        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
                        MaxRetries = parseResult.GetValue(retries),
                        RawLogPath = parseResult.GetValue(raw) ?? outPath + ".raw.jsonl",
                    },
                    Count = parseResult.GetValue(count),
                    Seed = parseResult.GetValue(seed),
                    Temperature = parseResult.GetValue(temperature),
                    PairsPerRequest = parseResult.GetValue(perRequest),
                    MaxRequests = parseResult.GetValue(maxRequests),
                    StructuredOutput = !parseResult.GetValue(noSchema),
                };
                var progress = new StderrProgress(p => Console.Error.WriteLine(
                    $"accepted {p.Accepted}/{p.Target}, rejected {p.Rejected}, requests {p.RequestsDone}/{p.MaxRequests}"));
                var result = await LlmIoiGenerator.GenerateAsync(options, encode, progress, ct);

                // Partial results are written too: pairs already paid for should not be lost to a late failure.
                FormatFilterJsonl.WritePairs(outPath, result.Pairs);
                FormatFilterJsonl.WriteJson(outPath + ".rejects.json",
                    FormatFilterJsonl.Report(ChatEndpoint.Redacted(options.Chat.Endpoint), result.Pairs.Count, result.RejectCounts, result.Rejections));
                FilterFormatCommand.PrintRejectTable(result.RejectCounts,
                    $"wrote {result.Pairs.Count} pairs to {outPath} ({result.Requests} requests, {result.Attempts} attempts; raw responses in {result.RawLogPath})");
                if (result.Error is not null)
                {
                    Console.Error.WriteLine($"error: {result.Error}");
                    return 1;
                }
                if (!result.ReachedTarget)
                {
                    Console.Error.WriteLine($"error: only {result.Pairs.Count} of {result.Target} pairs accepted within {result.Requests} requests (raise --max-requests)");
                    return 1;
                }
                return 0;
            }
            catch (CircuitLensException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Console.Error.WriteLine("error: interrupted (no pairs file was written; rerun the command)");
                return 130;
            }
        });
        return command;
    }

    // Progress<T> would post to the thread pool and could print after the summary; this reports in order, inline.
    private sealed class StderrProgress(Action<LlmIoiProgress> report) : IProgress<LlmIoiProgress>
    {
        public void Report(LlmIoiProgress value) => report(value);
    }
}
