// A model repository id on the hub ("openai-community/gpt2"), with the legacy short aliases the GPT-2
// family is still known by ("gpt2" -> "openai-community/gpt2"). Knows the cache folder names for both the
// canonical id and the alias, because older Python caches were filled under the alias.
using System.Text.RegularExpressions;

namespace CircuitLens.Model.Hub;

public sealed partial record HubRepoId(string Canonical, string? Alias)
{
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["gpt2"] = "openai-community/gpt2",
        ["gpt2-medium"] = "openai-community/gpt2-medium",
        ["gpt2-large"] = "openai-community/gpt2-large",
        ["gpt2-xl"] = "openai-community/gpt2-xl",
        ["distilgpt2"] = "distilbert/distilgpt2",
    };

    /// <summary>Parses "name" or "owner/name" with the hub's naming rules; null if the text cannot be a repo id.</summary>
    public static HubRepoId? TryParse(string text)
    {
        if (!RepoIdPattern().IsMatch(text) || text.Contains("--", StringComparison.Ordinal) || text.Contains("..", StringComparison.Ordinal))
            return null;
        if (Aliases.TryGetValue(text, out var canonical)) return new HubRepoId(canonical, text);
        // A reverse lookup keeps "openai-community/gpt2" able to find a cache filled as "models--gpt2".
        foreach (var (alias, target) in Aliases)
            if (target == text) return new HubRepoId(text, alias);
        return new HubRepoId(text, null);
    }

    /// <summary>Cache folder names to search, canonical first: models--owner--name.</summary>
    public IEnumerable<string> CacheFolderNames()
    {
        yield return FolderName(Canonical);
        if (Alias is not null) yield return FolderName(Alias);
    }

    public string CanonicalFolderName => FolderName(Canonical);

    private static string FolderName(string repoId) => "models--" + repoId.Replace("/", "--", StringComparison.Ordinal);

    public override string ToString() => Canonical;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$")]
    private static partial Regex RepoIdPattern();
}
