// A [Fact] that needs a real browser: the system Chromium, driven by Playwright (which must never
// download one). Outside CI (the CI variable unset) a machine without Chromium skips it, saying why;
// in CI a missing Chromium is a failure, because .ci/run installs it.
namespace CircuitLens.Tests.Browser;

public sealed class BrowserFactAttribute : FactAttribute
{
    public const string Variable = "CIRCUITLENS_CHROMIUM";

    public BrowserFactAttribute()
    {
        if (ChromiumPath() is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = $"no Chromium found (apt-get install chromium, or set {Variable}); CI installs it and runs this test";
    }

    /// <summary>$CIRCUITLENS_CHROMIUM, else the usual system locations; null when none exists.</summary>
    public static string? ChromiumPath()
    {
        string? given = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(given)) return File.Exists(given) ? given : null;
        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
    }
}
