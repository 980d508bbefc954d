// Where the chat requests go: the user's endpoint ("http://host:port/v1" or the full ".../chat/completions")
// split into the URL shown to people (no user-info, ever), the base URL the OpenAI client appends
// "chat/completions" to, and the user-info credentials, which are sent as Basic authentication when no
// API key is set and are otherwise only a secret to redact. It does not send anything.
using System.Text;

namespace CircuitLens.Tasks.Llm;

public sealed class ChatEndpoint
{
    private ChatEndpoint(Uri url, Uri baseUrl, string? userInfo)
    {
        Url = url;
        BaseUrl = baseUrl;
        UserInfo = userInfo;
    }

    /// <summary>The full .../chat/completions URL, without user-info.</summary>
    public Uri Url { get; }
    /// <summary>The URL that "chat/completions" is appended to (ends with '/').</summary>
    public Uri BaseUrl { get; }
    /// <summary>"user:password" from the endpoint, unescaped; null when there was none.</summary>
    internal string? UserInfo { get; }

    public static ChatEndpoint Parse(string endpoint)
    {
        string trimmed = endpoint.Trim().TrimEnd('/');
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CircuitLensException($"endpoint \"{Redacted(endpoint)}\" is not an http(s) URL such as http://localhost:11434/v1");
        string? userInfo = uri.UserInfo.Length > 0 ? Uri.UnescapeDataString(uri.UserInfo) : null;
        var clean = new UriBuilder(uri) { UserName = "", Password = "" }.Uri;
        string text = clean.GetLeftPart(UriPartial.Query).TrimEnd('/');
        const string suffix = "/chat/completions";
        string baseText = text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) ? text[..^suffix.Length] : text;
        return new ChatEndpoint(new Uri(baseText + suffix), new Uri(baseText + "/"), userInfo);
    }

    /// <summary>Basic credentials from the user-info, for an Authorization header.</summary>
    internal string? BasicCredentials => UserInfo is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(UserInfo));

    /// <summary>The secrets this endpoint carries: the user-info as written and unescaped, and its password part.</summary>
    internal IEnumerable<string?> Secrets(string endpoint)
    {
        if (UserInfo is null) yield break;
        yield return UserInfo;
        yield return BasicCredentials;
        int colon = UserInfo.IndexOf(':');
        if (colon >= 0) yield return UserInfo[(colon + 1)..];
        if (Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var raw) && raw.UserInfo.Length > 0)
        {
            yield return raw.UserInfo;
            int rawColon = raw.UserInfo.IndexOf(':');
            if (rawColon >= 0) yield return raw.UserInfo[(rawColon + 1)..];
        }
    }

    /// <summary>The endpoint as it may be shown: user-info replaced by "***".</summary>
    public static string Redacted(string endpoint)
    {
        int scheme = endpoint.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return endpoint;
        int at = endpoint.IndexOf('@', scheme + 3);
        int slash = endpoint.IndexOf('/', scheme + 3);
        return at >= 0 && (slash < 0 || at < slash) ? endpoint[..(scheme + 3)] + SecretRedactor.Mask + endpoint[at..] : endpoint;
    }
}
