// Runs `circuitlens` as a separate process (the built CircuitLens.Cli.dll next to the tests), for what
// an in-process run cannot show: kill -9 at an arbitrary moment, Ctrl+C (SIGINT), two processes at once.
using System.Diagnostics;

namespace CircuitLens.Tests.Cli;

public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout, _stderr;

    private CliProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static CliProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CircuitLens.Cli.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["HF_HUB_OFFLINE"] = "1";   // tests never touch the network
        return new CliProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the CLI"));
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>kill -9: no handler runs, nothing is flushed.</summary>
    public void KillHard()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }   // already exited
        _process.WaitForExit();
    }

    /// <summary>Sends SIGINT (Ctrl+C) on Unix.</summary>
    public void Interrupt() => Process.Start("kill", ["-INT", _process.Id.ToString()])!.WaitForExit();

    /// <summary>Waits for the exit (at most <paramref name="timeout"/>; then kills and fails) and returns what it printed.</summary>
    public CliResult Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            KillHard();
            throw new TimeoutException($"circuitlens did not finish within {timeout}");
        }
        _process.WaitForExit();
        return new CliResult(_process.ExitCode, _stdout.Result, _stderr.Result);
    }

    public static CliResult Run(TimeSpan timeout, params string[] args)
    {
        using var p = Start(args);
        return p.Wait(timeout);
    }

    public void Dispose()
    {
        if (!_process.HasExited) KillHard();
        _process.Dispose();
    }
}
