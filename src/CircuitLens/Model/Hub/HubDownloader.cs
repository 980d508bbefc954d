// The HTTP side of hub access: HEAD a file's resolve URL for its commit/ETag/size, then GET it into
// blobs/<etag>.incomplete, resuming with a Range request after a dropped connection, retrying 5xx and
// 429 answers with back-off, and verifying size (always) and sha256 (when the ETag is one) before the
// blob is renamed into place. What the server says is checked before it is used: the commit id and ETag
// must be hex ids (they name cache paths), redirects must stay http(s), and a host name that does not
// resolve fails at once with what to do offline. Knows nothing about snapshots or refs; HubCache and
// ModelLocator do that.
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace CircuitLens.Model.Hub;

internal sealed class HubDownloader : IDisposable
{
    private const int MaxRedirects = 10;
    private const int BufferSize = 1 << 20;
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    private readonly HubOptions _options;
    private readonly HttpClient _http;
    private readonly Uri _endpoint;

    public HubDownloader(HubOptions options)
    {
        _options = options;
        if (!Uri.TryCreate(options.Endpoint.TrimEnd('/') + "/", UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new CircuitLensException($"hub endpoint '{options.Endpoint}' is not an http(s) URL");
        _endpoint = endpoint;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // redirects are followed by hand so the token never leaves the hub host
            ConnectTimeout = options.Timeout,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("circuitlens", "0.1"));
    }

    private string EndpointText => _endpoint.ToString().TrimEnd('/');

    /// <summary>HEADs the file; returns null when an optional file does not exist, throws a one-line error otherwise.</summary>
    public async Task<RemoteFile?> GetMetadataAsync(HubRepoId repo, string revision, string file, bool optional, CancellationToken ct)
    {
        var url = new Uri(_endpoint, $"{repo.Canonical}/resolve/{Uri.EscapeDataString(revision)}/{file}");
        for (int attempt = 0; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                response = await SendHeadFollowingRelativeRedirectsAsync(url, ct);
            }
            catch (HttpRequestException e) when (IsNoNetwork(e))
            {
                throw NoNetworkError(repo, url, e);
            }
            catch (Exception e) when (IsTransient(e, ct) && attempt < _options.MaxRetries)
            {
                await Task.Delay(Backoff(attempt), ct);
                continue;
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                throw new CircuitLensException($"cannot reach {EndpointText} for '{repo}' {file}: {OneLine(e)}", e);
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                if (status == 429 || status >= 500)
                {
                    if (attempt >= _options.MaxRetries)
                        throw new CircuitLensException($"{EndpointText} kept answering {status} for '{repo}' {file} after {attempt + 1} attempts");
                    await Task.Delay(RetryAfter(response) ?? Backoff(attempt), ct);
                    continue;
                }
                if (status == 404 && optional && ErrorCode(response) is null or "EntryNotFound") return null;
                if (status is >= 400) throw StatusError(repo, revision, file, response);

                // For LFS files the hub answers 302 to a CDN and puts the real ETag/size in X-Linked-* headers.
                string? etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag ?? Header(response, "ETag");
                string? commit = Header(response, "X-Repo-Commit");
                long? size = ParseLong(Header(response, "X-Linked-Size")) ?? response.Content.Headers.ContentLength;
                if (commit is null && HubCache.IsCommitHash(revision)) commit = revision;
                if (etag is null || commit is null)
                    throw new CircuitLensException($"{EndpointText} did not send {(etag is null ? "an ETag" : "X-Repo-Commit")} for '{repo}' {file}; is it a Hugging Face hub endpoint?");
                // Both name paths in the cache (snapshots/<commit>, blobs/<etag>): only well-formed ids are accepted.
                string commitId = commit.Trim().ToLowerInvariant();
                if (!HubCache.IsCommitHash(commitId))
                    throw new CircuitLensException($"{EndpointText} sent a malformed commit id (X-Repo-Commit '{Printable(commit)}') for '{repo}' {file}; expected 40 hex digits");
                bool lfs = Header(response, "X-Linked-Etag") is not null;
                string blobName = NormalizeETag(etag).ToLowerInvariant();
                if (!HubCache.IsBlobName(blobName) || (lfs && blobName.Length != 64))
                    throw new CircuitLensException($"{EndpointText} sent a malformed ETag '{Printable(etag)}' for '{repo}' {file}; expected {(lfs ? "the file's sha256 (64 hex digits)" : "a git object id or sha256 (40 or 64 hex digits)")}");
                var download = IsRedirect(response.StatusCode) && response.Headers.Location is { } location ? RedirectTarget(url, location, file) : url;
                return new RemoteFile(file, download, commitId, blobName, size);
            }
        }
    }

    /// <summary>Downloads to <paramref name="incompletePath"/> (resuming what is there), verifies it, and renames it to <paramref name="blobPath"/>.</summary>
    public async Task DownloadAsync(RemoteFile remote, string incompletePath, string blobPath, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(incompletePath)!);
        FileStream partial;
        try
        {
            partial = new FileStream(incompletePath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous);
        }
        catch (IOException e)
        {
            throw new CircuitLensException($"cannot write {incompletePath} (is another download of {remote.Name} running?): {OneLine(e)}", e);
        }

        bool fetched = false, verified = false;
        try
        {
            await using (partial)
            {
                await FetchIntoAsync(remote, partial, ct);
                fetched = true;
                await partial.FlushAsync(ct);
                partial.Position = 0;
                Verify(remote, partial);
                verified = true;
            }
        }
        finally
        {
            // A complete but wrong file is useless; an interrupted one is kept so the next run resumes it.
            if (!verified && (fetched || IsEmpty(incompletePath))) TryDelete(incompletePath);
        }
        File.Move(incompletePath, blobPath, overwrite: true);
    }

    private async Task FetchIntoAsync(RemoteFile remote, FileStream partial, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        for (int attempt = 0; ; attempt++)
        {
            long have = partial.Length;
            if (remote.Size is long total && have >= total)
            {
                if (have == total) return;
                partial.SetLength(0); // longer than the file can be: start over
                have = 0;
            }
            _options.Progress?.Report(new DownloadProgress(remote.Name, have, remote.Size));

            try
            {
                using var response = await SendGetFollowingRedirectsAsync(remote.DownloadUrl, have, ct);
                var status = (int)response.StatusCode;
                if (status == 429 || status >= 500)
                {
                    if (attempt >= _options.MaxRetries)
                        throw new CircuitLensException($"download of {remote.Name} failed: server kept answering {status} after {attempt + 1} attempts");
                    await Task.Delay(RetryAfter(response) ?? Backoff(attempt), ct);
                    continue;
                }
                if (status == 416)
                {
                    // The partial file no longer matches what the server has: start again from nothing.
                    partial.SetLength(0);
                    if (attempt >= _options.MaxRetries) throw new CircuitLensException($"download of {remote.Name} failed: server rejected the resume range");
                    continue;
                }
                if (status >= 400)
                    throw new CircuitLensException($"download of {remote.Name} from {remote.DownloadUrl.GetLeftPart(UriPartial.Path)} failed ({status} {response.ReasonPhrase})");

                long start = 0;
                if (response.StatusCode == HttpStatusCode.PartialContent)
                {
                    start = response.Content.Headers.ContentRange?.From ?? -1;
                    if (start != have) throw new CircuitLensException($"download of {remote.Name} failed: asked to resume at byte {have}, server sent a range starting at {start}");
                }
                partial.SetLength(start); // a plain 200 means the server ignored Range: overwrite from the start
                partial.Position = start;

                await CopyBodyAsync(remote, response, partial, buffer, ct);
                if (remote.Size is null || partial.Length >= remote.Size) return;
                // A body that ended early without an error (no Content-Length): resume on the next attempt.
                if (attempt >= _options.MaxRetries)
                    throw new CircuitLensException($"download of {remote.Name} stopped at {partial.Length} of {remote.Size} bytes after {attempt + 1} attempts");
            }
            catch (HttpRequestException e) when (IsNoNetwork(e))
            {
                await partial.FlushAsync(CancellationToken.None);
                throw new CircuitLensException($"download of {remote.Name} failed: cannot resolve {remote.DownloadUrl.Host} ({OneLine(e)}); {partial.Length} bytes kept, rerun when the network is back", e);
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                await partial.FlushAsync(CancellationToken.None);
                if (attempt >= _options.MaxRetries)
                    throw new CircuitLensException($"download of {remote.Name} failed after {attempt + 1} attempts ({partial.Length} bytes kept for resuming): {OneLine(e)}", e);
                await Task.Delay(Backoff(attempt), ct);
            }
        }
    }

    private async Task CopyBodyAsync(RemoteFile remote, HttpResponseMessage response, FileStream partial, byte[] buffer, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long lastReport = partial.Position;
        while (true)
        {
            idle.CancelAfter(_options.Timeout); // restarts the stall timer before every read
            int n = await body.ReadAsync(buffer, idle.Token);
            if (n == 0) break;
            await partial.WriteAsync(buffer.AsMemory(0, n), ct);
            if (partial.Position - lastReport >= 4 * BufferSize)
            {
                lastReport = partial.Position;
                _options.Progress?.Report(new DownloadProgress(remote.Name, partial.Position, remote.Size));
            }
        }
        _options.Progress?.Report(new DownloadProgress(remote.Name, partial.Position, remote.Size));
    }

    private static void Verify(RemoteFile remote, FileStream data)
    {
        if (remote.Size is long size && data.Length != size)
            throw new CircuitLensException($"download of {remote.Name} has {data.Length} bytes but the hub announced {size}; partial file deleted, try again");
        if (!remote.ETagIsSha256) return;
        string actual = Convert.ToHexStringLower(SHA256.HashData(data));
        if (!string.Equals(actual, remote.ETag, StringComparison.OrdinalIgnoreCase))
            throw new CircuitLensException($"download of {remote.Name} is corrupt: sha256 {actual} but the hub says {remote.ETag}; file deleted, try again");
    }

    private static bool IsEmpty(string path)
    {
        var info = new FileInfo(path);
        return info.Exists && info.Length == 0;
    }

    private async Task<HttpResponseMessage> SendHeadFollowingRelativeRedirectsAsync(Uri url, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            var response = await SendAsync(HttpMethod.Head, url, rangeFrom: 0, ct);
            // Relative redirects stay on the hub (renamed repos); an absolute one points at the file's storage, and
            // its headers already carry what we need.
            if (!IsRedirect(response.StatusCode) || response.Headers.Location is not { } location || location.IsAbsoluteUri || hop >= MaxRedirects)
                return response;
            url = new Uri(url, location);
            response.Dispose();
        }
    }

    private async Task<HttpResponseMessage> SendGetFollowingRedirectsAsync(Uri url, long rangeFrom, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            var response = await SendAsync(HttpMethod.Get, url, rangeFrom, ct);
            if (!IsRedirect(response.StatusCode) || response.Headers.Location is not { } location)
                return response;
            if (hop >= MaxRedirects) { response.Dispose(); throw new CircuitLensException($"too many redirects downloading {url.GetLeftPart(UriPartial.Path)}"); }
            response.Dispose();
            url = RedirectTarget(url, location, url.Segments[^1]);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, long rangeFrom, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, url);
        if (_options.Token is { } token && url.Host == _endpoint.Host && url.Port == _endpoint.Port)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (rangeFrom > 0) request.Headers.Range = new RangeHeaderValue(rangeFrom, null);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity")); // sizes must be raw bytes
        using var headersDeadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        headersDeadline.CancelAfter(_options.Timeout);
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headersDeadline.Token);
    }

    private CircuitLensException StatusError(HubRepoId repo, string revision, string file, HttpResponseMessage response)
    {
        int status = (int)response.StatusCode;
        string? code = ErrorCode(response);
        return (status, code) switch
        {
            (404, "RevisionNotFound") => new($"model '{repo}' has no revision '{revision}' on {EndpointText} (404)"),
            (404, "EntryNotFound") => new($"model '{repo}' has no {file} at revision '{revision}' on {EndpointText} (404); CircuitLens needs config.json and model.safetensors"),
            (404, _) => new($"unknown model '{repo}' on {EndpointText} (404)"),
            (401, _) when _options.Token is null => new($"unknown model '{repo}' on {EndpointText} (401); if it is private or gated, set HF_TOKEN"),
            (401, _) => new($"model '{repo}' on {EndpointText} refused the token in HF_TOKEN (401)"),
            (403, _) => new($"access to model '{repo}' on {EndpointText} was refused (403); if it is gated, accept its terms on the website and set HF_TOKEN"),
            _ => new($"unexpected answer {status} {response.ReasonPhrase} from {EndpointText} for '{repo}' {file}"),
        };
    }

    private static string? ErrorCode(HttpResponseMessage response) => Header(response, "X-Error-Code");

    private static string? Header(HttpResponseMessage response, string name)
    {
        if (response.Headers.TryGetValues(name, out var values)) return values.FirstOrDefault();
        if (response.Content.Headers.TryGetValues(name, out values)) return values.FirstOrDefault();
        return null;
    }

    // Only http(s) is followed: a redirect to file://, ftp:// or anything else is the server's error, said in one line.
    private static Uri RedirectTarget(Uri from, Uri location, string file)
    {
        var target = new Uri(from, location);
        if (target.Scheme is not ("http" or "https"))
            throw new CircuitLensException($"{from.GetLeftPart(UriPartial.Authority)} answered {file} with a redirect to {target.Scheme}:, which is not http(s); refusing to follow it");
        return target;
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    // Dropped connections, resets, stalls past the timeout: worth a retry. A cancellation the caller asked for is not.
    private static bool IsTransient(Exception e, CancellationToken ct) =>
        e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested);

    // A host name that does not resolve (no network, no DNS, a typo in HF_ENDPOINT) will not resolve a second later:
    // retrying it only makes a first run without network wait half a minute before saying so.
    private static bool IsNoNetwork(HttpRequestException e) =>
        e.HttpRequestError == HttpRequestError.NameResolutionError
        || e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NetworkUnreachable };

    private CircuitLensException NoNetworkError(HubRepoId repo, Uri url, HttpRequestException e)
    {
        string id = repo.Alias ?? repo.Canonical;
        return new CircuitLensException(
            $"cannot reach {url.Host} to fetch model '{id}' ({OneLine(e)}). Without network: pass --model DIR (a directory with config.json and "
            + $"model.safetensors), or run `circuitlens download {id}` on a connected machine, copy its cache directory to {_options.CacheDir} here "
            + "and add --offline", e);
    }

    private TimeSpan Backoff(int attempt)
    {
        double ms = _options.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 16));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var retry = response.Headers.RetryAfter;
        TimeSpan? wait = retry?.Delta ?? (retry?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (wait is null) return null;
        if (wait < TimeSpan.Zero) return TimeSpan.Zero;
        return wait > MaxDelay * 4 ? MaxDelay * 4 : wait;
    }

    private static long? ParseLong(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;

    private static string NormalizeETag(string etag)
    {
        string e = etag.Trim();
        if (e.StartsWith("W/", StringComparison.Ordinal)) e = e[2..];
        return e.Trim('"');
    }

    // A header value shown in an error: one line, bounded, control characters replaced.
    private static string Printable(string value)
    {
        var text = new string([.. value.Take(100).Select(c => char.IsControl(c) ? '?' : c)]);
        return value.Length > 100 ? text + "…" : text;
    }

    private static string OneLine(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is HttpRequestException) inner = inner.InnerException;
        return inner.Message.ReplaceLineEndings(" ");
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public void Dispose() => _http.Dispose();
}
