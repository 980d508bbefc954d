// Where and how to fetch models from a Hugging Face-compatible hub: endpoint, cache directory (the same
// layout huggingface_hub uses, so Python downloads are reused), revision, token, offline switch, and the
// network patience settings. FromEnvironment reads the standard HF_* variables; the constructor reads none
// except for the default cache location.
namespace CircuitLens.Model.Hub;

public sealed class HubOptions
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Never touch the network; resolve from the cache only.</summary>
    public bool Offline { get; init; }

    public string Endpoint { get; init; } = DefaultEndpoint;

    public string CacheDir { get; init; } = DefaultCacheDir();

    /// <summary>Branch, tag or commit hash.</summary>
    public string Revision { get; init; } = "main";

    /// <summary>Bearer token for private or gated repositories (sent to the endpoint host only).</summary>
    public string? Token { get; init; }

    public IProgress<DownloadProgress>? Progress { get; init; }

    /// <summary>How long to wait for a connection, for response headers, and between two reads of a body.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times one file is retried after a dropped connection or a 5xx/429 answer.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>The first back-off delay; it doubles on each retry (capped at 30 s).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Options from HF_ENDPOINT, HF_HUB_CACHE / HF_HOME, HF_TOKEN and HF_HUB_OFFLINE.</summary>
    public static HubOptions FromEnvironment(bool offline = false)
    {
        string? endpoint = Environment.GetEnvironmentVariable("HF_ENDPOINT");
        string? token = Environment.GetEnvironmentVariable("HF_TOKEN");
        return new HubOptions
        {
            Offline = offline || IsTruthy(Environment.GetEnvironmentVariable("HF_HUB_OFFLINE")),
            Endpoint = string.IsNullOrWhiteSpace(endpoint) ? DefaultEndpoint : endpoint.Trim().TrimEnd('/'),
            Token = string.IsNullOrWhiteSpace(token) ? null : token.Trim(),
        };
    }

    /// <summary>HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub (XDG_CACHE_HOME respected, as huggingface_hub does).</summary>
    public static string DefaultCacheDir()
    {
        string? hubCache = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        if (!string.IsNullOrWhiteSpace(hubCache)) return ExpandHome(hubCache);
        string? hfHome = Environment.GetEnvironmentVariable("HF_HOME");
        if (!string.IsNullOrWhiteSpace(hfHome)) return Path.Combine(ExpandHome(hfHome), "hub");
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string cacheRoot = !string.IsNullOrWhiteSpace(xdg) ? ExpandHome(xdg)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cacheRoot, "huggingface", "hub");
    }

    internal static string ExpandHome(string path)
    {
        if (path == "~") return Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..]);
        return path;
    }

    private static bool IsTruthy(string? value) =>
        value is not null && value.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";
}
