// A minimal Hugging Face hub on 127.0.0.1 for tests: a raw TcpListener speaking just enough HTTP/1.1
// (one request per connection) to answer HEAD/GET .../resolve/<rev>/<file> with the hub's headers, redirect
// LFS files to a /cdn/<sha256> URL that honours Range, and misbehave on demand (drop a body mid-way,
// answer 503/429, ignore Range, lie about the sha256). Every request is recorded for assertions.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace CircuitLens.Tests.IO;

internal sealed class FakeHubServer : IDisposable
{
    public sealed record Request(string Method, string Path, string? Range, string? Authorization);

    private sealed record HostedFile(byte[] Bytes, bool Lfs, string Sha256, string GitOid);

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, (string Commit, Dictionary<string, HostedFile> Files)> _repos = new();
    private readonly Dictionary<string, HostedFile> _blobs = new();

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>For successive CDN GETs: send only this many body bytes and then cut the connection.</summary>
    public ConcurrentQueue<int> DropAfterBytes { get; } = new();

    /// <summary>For successive CDN GETs: answer with this status instead (503, 429 with Retry-After: 0, ...).</summary>
    public ConcurrentQueue<int> FailWithStatus { get; } = new();

    /// <summary>Answer Range requests with a full 200 body, as some servers do.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>Advertise this (wrong) sha256 for LFS files instead of the real one.</summary>
    public string? AdvertisedSha256 { get; set; }

    /// <summary>On resolve answers, send these header values instead of the real ones (a hostile hub: X-Repo-Commit, ETag, X-Linked-Etag).</summary>
    public ConcurrentDictionary<string, string> HeaderOverrides { get; } = new(StringComparer.OrdinalIgnoreCase);

    public FakeHubServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public void AddRepo(string repoId, string commit, IReadOnlyDictionary<string, byte[]> files, params string[] lfsFiles)
    {
        var hosted = new Dictionary<string, HostedFile>();
        foreach (var (name, bytes) in files)
        {
            string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            string oid = Convert.ToHexStringLower(SHA1.HashData(bytes));
            var file = new HostedFile(bytes, lfsFiles.Contains(name), sha, oid);
            hosted[name] = file;
            _blobs[sha] = file;
        }
        _repos[repoId] = (commit, hosted);
    }

    public int CountRequests(string method, string pathContains) =>
        Requests.Count(r => r.Method == method && r.Path.Contains(pathContains, StringComparison.Ordinal));

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                if (head is null) return;
                var lines = head.Split("\r\n");
                var parts = lines[0].Split(' ');
                var headers = lines.Skip(1).Where(l => l.Contains(':'))
                    .ToDictionary(l => l[..l.IndexOf(':')].Trim().ToLowerInvariant(), l => l[(l.IndexOf(':') + 1)..].Trim());
                var request = new Request(parts[0], parts[1], headers.GetValueOrDefault("range"), headers.GetValueOrDefault("authorization"));
                Requests.Enqueue(request);
                await RespondAsync(stream, request);
            }
            catch (IOException) { } // the client went away; nothing to answer
        }
    }

    private async Task RespondAsync(NetworkStream stream, Request request)
    {
        bool head = request.Method == "HEAD";
        string path = Uri.UnescapeDataString(request.Path);
        if (path.StartsWith("/cdn/", StringComparison.Ordinal))
        {
            await ServeBlobAsync(stream, request, _blobs.GetValueOrDefault(path["/cdn/".Length..]));
            return;
        }

        // /{owner}/{name}/resolve/{revision}/{file}
        int resolve = path.IndexOf("/resolve/", StringComparison.Ordinal);
        string repoId = resolve > 0 ? path[1..resolve] : "";
        if (!_repos.TryGetValue(repoId, out var repo))
        {
            await WriteAsync(stream, 404, "Not Found", [("X-Error-Code", "RepoNotFound")], "Repository not found"u8.ToArray(), head);
            return;
        }
        string rest = path[(resolve + "/resolve/".Length)..];
        string file = rest[(rest.IndexOf('/') + 1)..];
        if (!repo.Files.TryGetValue(file, out var hosted))
        {
            await WriteAsync(stream, 404, "Not Found", [("X-Error-Code", "EntryNotFound"), ("X-Repo-Commit", repo.Commit)], "Entry not found"u8.ToArray(), head);
            return;
        }
        if (hosted.Lfs)
        {
            string sha = AdvertisedSha256 ?? hosted.Sha256;
            await WriteAsync(stream, 302, "Found", Overridden(
            [
                ("Location", $"{Endpoint}/cdn/{hosted.Sha256}"),
                ("X-Repo-Commit", repo.Commit),
                ("X-Linked-Etag", $"\"{sha}\""),
                ("X-Linked-Size", hosted.Bytes.Length.ToString()),
                ("ETag", $"\"{hosted.GitOid}\""),
            ]), Array.Empty<byte>(), head);
            return;
        }
        await WriteAsync(stream, 200, "OK", Overridden([("X-Repo-Commit", repo.Commit), ("ETag", $"\"{hosted.GitOid}\"")]), hosted.Bytes, head);
    }

    private List<(string Name, string Value)> Overridden(List<(string Name, string Value)> headers) =>
        [.. headers.Select(h => HeaderOverrides.TryGetValue(h.Name, out var value) ? (h.Name, value) : h)];

    private async Task ServeBlobAsync(NetworkStream stream, Request request, HostedFile? blob)
    {
        bool head = request.Method == "HEAD";
        if (blob is null) { await WriteAsync(stream, 404, "Not Found", [], Array.Empty<byte>(), head); return; }
        if (!head && FailWithStatus.TryDequeue(out int status))
        {
            await WriteAsync(stream, status, "Failing", status == 429 ? [("Retry-After", "0")] : [], Array.Empty<byte>(), head);
            return;
        }
        long from = 0;
        if (request.Range is { } range && !IgnoreRange && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
            from = long.Parse(range["bytes=".Length..^1]);
        if (from >= blob.Bytes.Length) { await WriteAsync(stream, 416, "Range Not Satisfiable", [], Array.Empty<byte>(), head); return; }

        var body = blob.Bytes.AsMemory((int)from);
        var headers = new List<(string, string)>();
        if (from > 0) headers.Add(("Content-Range", $"bytes {from}-{blob.Bytes.Length - 1}/{blob.Bytes.Length}"));
        int? dropAfter = !head && DropAfterBytes.TryDequeue(out int n) ? n : null;
        await WriteAsync(stream, from > 0 ? 206 : 200, from > 0 ? "Partial Content" : "OK", headers, body, head, dropAfter);
    }

    private static async Task WriteAsync(NetworkStream stream, int status, string reason, IEnumerable<(string Name, string Value)> headers,
        ReadOnlyMemory<byte> body, bool headOnly, int? dropAfter = null)
    {
        var text = new StringBuilder($"HTTP/1.1 {status} {reason}\r\n");
        foreach (var (name, value) in headers) text.Append(name).Append(": ").Append(value).Append("\r\n");
        text.Append("Content-Length: ").Append(body.Length).Append("\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text.ToString()));
        if (headOnly) return;
        if (dropAfter is int cut && cut < body.Length)
        {
            await stream.WriteAsync(body[..cut]);
            await stream.FlushAsync();
            return; // closing here leaves the client short of Content-Length: a dropped connection
        }
        await stream.WriteAsync(body);
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 65536)
        {
            if (await stream.ReadAsync(one) == 0) return null;
            bytes.Add(one[0]);
            int c = bytes.Count;
            if (c >= 4 && bytes[c - 4] == '\r' && bytes[c - 3] == '\n' && bytes[c - 2] == '\r' && bytes[c - 1] == '\n')
                return Encoding.ASCII.GetString(bytes.ToArray(), 0, c - 4);
        }
        return null;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
