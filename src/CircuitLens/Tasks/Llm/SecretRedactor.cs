// Replaces secrets (the API key, URL user-info) with "***" in any text before it is logged, shown or
// thrown: error bodies that echo the request headers, server messages, exception texts. It knows
// only the exact strings it was given; it does not guess at other secrets.
namespace CircuitLens.Tasks.Llm;

internal sealed class SecretRedactor
{
    public const string Mask = "***";
    private readonly string[] _secrets;

    public SecretRedactor(IEnumerable<string?> secrets)
    {
        // Longest first, so "user:key" is masked whole before "key" alone; very short strings would mask ordinary words.
        _secrets = secrets.Where(s => !string.IsNullOrEmpty(s) && s.Length >= 4).Select(s => s!).Distinct()
            .OrderByDescending(s => s.Length).ToArray();
    }

    public string Redact(string text)
    {
        foreach (string secret in _secrets)
            if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return text;
    }

    public string? RedactOrNull(string? text) => text is null ? null : Redact(text);
}
