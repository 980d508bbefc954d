// Locates the shared, read-only fixture folder `<repo>/../shared` from the test binaries, so tests
// work from any build output folder. It does not copy or create fixtures.
namespace CircuitLens.Tests;

public static class TestPaths
{
    private static readonly Lazy<string> s_shared = new(FindShared);

    /// <summary>Absolute path of the `shared` folder beside the repository root.</summary>
    public static string Shared => s_shared.Value;

    /// <summary>Path of a file under shared/fixtures, e.g. Fixture("tokenizer_cases.json").</summary>
    public static string Fixture(params string[] parts)
    {
        var all = new string[parts.Length + 2];
        all[0] = Shared;
        all[1] = "fixtures";
        parts.CopyTo(all, 2);
        return Path.Combine(all);
    }

    // Walk up from the test binaries; at each level look for a `shared` folder that holds `fixtures`
    // (the repo root's sibling), so a `shared` folder inside the repo, if any, is not mistaken for it.
    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "fixtures"))) return candidate;
        }
        throw new DirectoryNotFoundException($"no `shared/fixtures` folder found above {AppContext.BaseDirectory}; put the shared folder beside the repository");
    }
}
