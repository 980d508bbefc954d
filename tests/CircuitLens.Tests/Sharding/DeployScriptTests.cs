// deploy/slurm-experiment-array.sh end to end without a cluster: each array task is the script run with
// the SLURM_ARRAY_* variables Slurm sets (srun runs its command; sbatch records the merge job it is given),
// then the recorded merge job runs. The merged induction run matches an unsharded one byte for byte
// (arrays, CSVs, pair files). Needs bash (Linux and macOS CI); skipped where there is none.
using System.Diagnostics;
using CircuitLens.Tests.Cli;

namespace CircuitLens.Tests.Sharding;

[Collection(ConsoleCollection.Name)]
public sealed class DeployScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-deploy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CircuitLens.slnx")) && Directory.Exists(Path.Combine(dir.FullName, "deploy"))) return dir.FullName;
        throw new DirectoryNotFoundException("no repository root (CircuitLens.slnx + deploy/) above the test binaries");
    }

    [BashFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void TheSlurmExperimentArrayShardsAndMergesLikeAnUnshardedRun()
    {
        string bin = Path.Combine(_dir, "fakebin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "srun"), "#!/bin/sh\nexec \"$@\"\n");
        File.WriteAllText(Path.Combine(bin, "sbatch"), "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --wrap=*) printf '%s\\n' \"${a#--wrap=}\" > \"$SBATCH_LOG\";; esac; done\n");
        foreach (var f in new[] { "srun", "sbatch" }) File.SetUnixFileMode(Path.Combine(bin, f), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string cli = $"{Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet"} {Path.Combine(AppContext.BaseDirectory, "CircuitLens.Cli.dll")}";
        string merged = Path.Combine(_dir, "run"), log = Path.Combine(_dir, "merge-job.sh");
        for (int i = 0; i < 2; i++)
            Bash(Path.Combine(RepoRoot(), "deploy", "slurm-experiment-array.sh"), new()
            {
                ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}", ["SBATCH_LOG"] = log, ["CIRCUITLENS"] = cli,
                ["TASK"] = "induction", ["MODEL"] = CliFixture.Model, ["OUT"] = merged, ["N_PAIRS"] = "6", ["CHUNK"] = "2", ["FILTER"] = "none", ["MAX_MEMORY"] = "1G",
                ["SLURM_ARRAY_TASK_COUNT"] = "2", ["SLURM_ARRAY_TASK_ID"] = $"{i}", ["SLURM_ARRAY_TASK_MIN"] = "0", ["SLURM_ARRAY_TASK_MAX"] = "1", ["SLURM_ARRAY_JOB_ID"] = "42",
            });
        Assert.Contains(" merge ", File.ReadAllText(log));
        Bash(log, new());   // the merge job the last array task submitted

        string full = Path.GetDirectoryName(CliRunner.Ok("induction", "--model", CliFixture.Model, "--n", "6", "--chunk-size", "2", "--filter", "none", "--runs-dir", Path.Combine(_dir, "runs")).Stdout.Trim())!;
        var data = Directory.GetFiles(full, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(full, f))
            .Where(f => f.EndsWith(".npy") || f.EndsWith(".csv") || f.EndsWith(".jsonl")).ToList();
        Assert.True(data.Count >= 10);
        foreach (var f in data)
            Assert.True(File.ReadAllBytes(Path.Combine(full, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(merged, f))), $"{f} differs from the unsharded run");
        Assert.True(File.Exists(Path.Combine(merged, "report.html")));
    }

    private static void Bash(string script, Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo("/bin/bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(script);
        foreach (var (k, v) in env) info.Environment[k] = v;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{script} exit {p.ExitCode}: {err}");
    }
}

/// <summary>A fact that runs a shell script: skipped, with the reason, where there is no /bin/bash.</summary>
public sealed class BashFactAttribute : FactAttribute
{
    public BashFactAttribute()
    {
        if (!File.Exists("/bin/bash")) Skip = "needs /bin/bash to run the deploy/ script";
    }
}
