// Locates ../shared/fixtures (beside the checkout) from the test binary's directory, and makes scratch
// directories that clean themselves up.
namespace CircuitLens.Tests.IO;

internal static class IoFixtures
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string FixturesDir => Root.Value;
    public static string TinyModelDir => Path.Combine(Root.Value, "tiny-gpt2", "model");
    public static string TinyExpectedDir => Path.Combine(Root.Value, "tiny-gpt2", "expected");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "fixtures");
            if (Directory.Exists(Path.Combine(candidate, "tiny-gpt2"))) return candidate;
        }
        throw new InvalidOperationException($"could not find shared/fixtures above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fresh empty directory under the system temp dir, deleted on Dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "circuitlens-io-" + Guid.NewGuid().ToString("N")[..12]);

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
