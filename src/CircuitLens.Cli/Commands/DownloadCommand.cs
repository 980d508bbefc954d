// `circuitlens download MODEL`: resolves a hub id (or checks a local directory) and fills the shared
// huggingface_hub cache, drawing progress bars on stderr and printing only the model directory on stdout
// so scripts can capture it. Reads HF_ENDPOINT, HF_HUB_CACHE/HF_HOME, HF_TOKEN and HF_HUB_OFFLINE.
using System.CommandLine;
using CircuitLens.Model.Hub;
using Spectre.Console;

namespace CircuitLens.Cli.Commands;

internal static class DownloadCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Hub id (gpt2, gpt2-medium, openai-community/gpt2, owner/name) or a local model directory" };
        var revision = new Option<string?>("--revision") { Description = "Branch, tag or commit to fetch (default: main)" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Hub cache directory (default: HF_HUB_CACHE, HF_HOME/hub or ~/.cache/huggingface/hub)" };
        var offline = new Option<bool>("--offline") { Description = "Use the cache only; never touch the network (also HF_HUB_OFFLINE=1)" };

        var command = new Command("download", "Download a GPT-2-family model from the Hugging Face hub into the local cache and print its directory.")
        {
            model, revision, cacheDir, offline,
        };
        command.SetAction((parseResult, ct) => Task.FromResult(Cli.Run(() =>
        {
            var env = HubOptions.FromEnvironment(parseResult.GetValue(offline));
            var stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            // Ctrl+C keeps the partial file; the next run resumes it
            string dir = ResolveWithProgressAsync(parseResult.GetValue(model)!, env, parseResult.GetValue(cacheDir), parseResult.GetValue(revision), stderr, ct)
                .GetAwaiter().GetResult();
            Console.Out.WriteLine(dir);
            return ExitCodes.Ok;
        })));
        return command;
    }

    private static async Task<string> ResolveWithProgressAsync(string model, HubOptions env, string? cacheDir, string? revision,
        IAnsiConsole stderr, CancellationToken ct)
    {
        string? result = null;
        await stderr.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var options = new HubOptions
                {
                    Offline = env.Offline,
                    Endpoint = env.Endpoint,
                    Token = env.Token,
                    CacheDir = cacheDir ?? env.CacheDir,
                    Revision = revision ?? env.Revision,
                    Progress = new ProgressBars(context),
                };
                result = await ModelLocator.ResolveAsync(model, options, ct);
            });
        return result!;
    }

    // One bar per file, created on its first report. Spectre's context and tasks are safe to update from the download thread.
    private sealed class ProgressBars(ProgressContext context) : IProgress<DownloadProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new();

        public void Report(DownloadProgress value)
        {
            ProgressTask task;
            lock (_tasks)
            {
                if (!_tasks.TryGetValue(value.File, out task!))
                {
                    task = context.AddTask(Markup.Escape(value.File), maxValue: value.TotalBytes ?? Math.Max(value.BytesDone, 1));
                    _tasks[value.File] = task;
                }
            }
            if (value.TotalBytes is long total) task.MaxValue = total;
            else if (value.BytesDone > task.MaxValue) task.MaxValue = value.BytesDone;
            task.Value = value.BytesDone;
        }
    }
}
