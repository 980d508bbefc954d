// What every command shares: the --model/--offline/--no-bos options, loading a model with progress
// on stderr, and turning user errors into one line and a non-zero exit code.
using System.CommandLine;
using CircuitLens.Model;
using CircuitLens.Model.Hub;
using Spectre.Console;

namespace CircuitLens.Cli;

internal static class ExitCodes
{
    public const int Ok = 0, UserError = 1, Interrupted = 130, InternalError = 70;
}

internal sealed class ModelOptions
{
    public Option<string> Model { get; }
    public Option<bool> Offline { get; } = new("--offline") { Description = "Never touch the network; use the local hub cache only (also HF_HUB_OFFLINE=1)." };
    public Option<bool> NoBos { get; } = new("--no-bos") { Description = "Do not prepend <|endoftext|> (the IOI paper's setting; TransformerLens prepends it by default)." };

    public ModelOptions(string? defaultModel = null)
    {
        Model = new Option<string>("--model", "-m")
        {
            Description = "Model directory (config.json + model.safetensors) or Hugging Face hub id (gpt2, gpt2-medium, distilgpt2, owner/name).",
            Required = defaultModel is null,
        };
        if (defaultModel is not null) Model.DefaultValueFactory = _ => defaultModel;
    }

    public void AddTo(Command command, bool withBos = true)
    {
        command.Options.Add(Model);
        command.Options.Add(Offline);
        if (withBos) command.Options.Add(NoBos);
    }

    public bool PrependBos(ParseResult r) => !r.GetValue(NoBos);

    public HookedTransformer Load(ParseResult r, CancellationToken ct = default) => Load(r.GetValue(Model)!, r.GetValue(Offline), ct);

    /// <summary>Resolves a directory or hub id (download progress on stderr) and loads it.</summary>
    public static HookedTransformer Load(string model, bool offline, CancellationToken ct = default)
    {
        var hub = HubOptions.FromEnvironment(offline);
        string dir = ModelLocator.Resolve(model, new HubOptions
        {
            Offline = hub.Offline, Endpoint = hub.Endpoint, CacheDir = hub.CacheDir, Token = hub.Token, Revision = hub.Revision,
            Progress = new ThrottledDownloadProgress(),
        }, ct);
        Cli.Stderr.Info($"loading {dir}");
        var loaded = HookedTransformer.FromDirectory(dir);
        Cli.Stderr.Info($"model {loaded.Config.ModelName}: {loaded.Config.NLayers} layers, {loaded.Config.NHeads} heads, d_model {loaded.Config.DModel} ({loaded.Weights.ParameterCount / 1e6:F1}M parameters)");
        return loaded;
    }
}

/// <summary>Progress and messages on stderr (stdout is for data).</summary>
internal static class Cli
{
    public static readonly StderrWriter Stderr = new();

    public static IAnsiConsole ErrorConsole { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Runs a command body: user errors become "error: …" and exit 1, Ctrl+C exit 130, bugs exit 70 without a stack trace unless CIRCUITLENS_DEBUG=1.</summary>
    public static int Run(Func<int> body)
    {
        try { return body(); }
        catch (CircuitLensException e) { return Fail(e.Message, ExitCodes.UserError); }
        catch (RunInterruptedException e) { return Fail(e.Message, ExitCodes.Interrupted); }
        catch (OperationCanceledException) { return Fail("interrupted", ExitCodes.Interrupted); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Fail(e.Message, ExitCodes.UserError); }
        catch (Exception e) when (Environment.GetEnvironmentVariable("CIRCUITLENS_DEBUG") != "1")
        {
            return Fail($"internal error: {e.GetType().Name}: {e.Message} (set CIRCUITLENS_DEBUG=1 for the stack trace)", ExitCodes.InternalError);
        }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}

internal sealed class StderrWriter
{
    public void Info(string message) => Console.Error.WriteLine(message);
}

/// <summary>One stderr line per file every couple of seconds: enough to see a large download move.</summary>
internal sealed class ThrottledDownloadProgress : IProgress<DownloadProgress>
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan _last = TimeSpan.FromSeconds(-10);

    public void Report(DownloadProgress p)
    {
        bool done = p.TotalBytes is long t && p.BytesDone >= t;
        if (!done && _clock.Elapsed - _last < TimeSpan.FromSeconds(2)) return;
        _last = _clock.Elapsed;
        string total = p.TotalBytes is long n ? $"{n / 1e6:F1} MB" : "?";
        Cli.Stderr.Info($"downloading {p.File}: {p.BytesDone / 1e6:F1} / {total}");
    }
}
