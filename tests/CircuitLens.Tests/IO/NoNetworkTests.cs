// A first run without network (issue 11, item 10): a hub host name that does not resolve fails at once,
// not after half a minute of retries, with one line saying what to do instead, and leaves nothing in the
// cache. The ".invalid" top-level domain never resolves (RFC 6761), with or without a network.
using System.Diagnostics;
using CircuitLens.Model.Hub;
using CircuitLens.Tests.Cli;

namespace CircuitLens.Tests.IO;

[Collection(ConsoleCollection.Name)]
public sealed class NoNetworkTests : IDisposable
{
    private const string UnresolvableEndpoint = "http://circuitlens-no-such-host.invalid";
    private readonly TempDir _cache = new();
    private readonly Dictionary<string, string?> _savedEnvironment = new();

    public void Dispose()
    {
        foreach (var (name, value) in _savedEnvironment) Environment.SetEnvironmentVariable(name, value);
        _cache.Dispose();
    }

    private void SetEnvironment(string name, string? value)
    {
        _savedEnvironment.TryAdd(name, Environment.GetEnvironmentVariable(name));
        Environment.SetEnvironmentVariable(name, value);
    }

    [Fact]
    public void NameResolutionFailureIsNotRetriedAndSaysWhatToDo()
    {
        // With these settings the old retry loop waited 10+20+30+30+30 = 120 s before giving up; the bound below
        // leaves room for a slow resolver (one lookup) without letting a single retry through.
        var options = new HubOptions { Endpoint = UnresolvableEndpoint, CacheDir = _cache.Path, RetryDelay = TimeSpan.FromSeconds(10), MaxRetries = 5 };
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("gpt2", options));
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(9), $"took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Contains("circuitlens-no-such-host.invalid", e.Message);
        Assert.Contains("--model DIR", e.Message);
        Assert.Contains("--offline", e.Message);
        Assert.Contains("circuitlens download gpt2", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cache.Path));
    }

    [Fact]
    public void CommandWithAHubModelAndNoNetworkIsOneErrorLine()
    {
        SetEnvironment("HF_ENDPOINT", UnresolvableEndpoint);
        SetEnvironment("HF_HUB_CACHE", _cache.Path);
        SetEnvironment("HF_HUB_OFFLINE", null);
        var clock = Stopwatch.StartNew();
        var result = CliRunner.Run("logits", "--model", "gpt2", "--prompt", "hello");
        clock.Stop();

        CliRunner.AssertUserError(result, "cannot reach", "--model DIR", "--offline");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed.TotalSeconds:F1} s (the old retries took 31 s)");
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public void IoiWithAHubModelAndNoNetworkLeavesNoRunDirectory()
    {
        SetEnvironment("HF_ENDPOINT", UnresolvableEndpoint);
        SetEnvironment("HF_HUB_CACHE", _cache.Path);
        SetEnvironment("HF_HUB_OFFLINE", null);
        using var runs = new TempDir();
        var result = CliRunner.Run("ioi", "--model", "gpt2", "--n", "4", "--runs-dir", runs.Path);

        CliRunner.AssertUserError(result, "cannot reach", "--model DIR", "--offline");
        Assert.Empty(Directory.EnumerateFileSystemEntries(runs.Path));   // no half-made run directory to trip over
    }
}
