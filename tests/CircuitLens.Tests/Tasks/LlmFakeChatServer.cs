// A real HTTP server on 127.0.0.1 (random free port) that plays a scripted OpenAI chat endpoint for the LLM tests:
// each request gets the reply the script returns for its number — a completion, an error status, a truncated body,
// a dropped connection or a late answer. It records every request so tests can count retries and read bodies.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace CircuitLens.Tests.Tasks;

internal sealed record FakeRequest(int Number, string Path, string Body, string? Authorization, IReadOnlyDictionary<string, string> Headers);

internal sealed record FakeReply
{
    public int Status { get; init; } = 200;
    public string Body { get; init; } = "";
    public Dictionary<string, string> Headers { get; init; } = new();
    /// <summary>Wait this long before answering (to exceed the client's timeout).</summary>
    public TimeSpan Delay { get; init; }
    /// <summary>Close the connection without any response.</summary>
    public bool Drop { get; init; }
    /// <summary>Bytes sent as the body instead of <see cref="Body"/> (e.g. gzip with a Content-Encoding header).</summary>
    public byte[]? RawBody { get; init; }

    public static FakeReply Completion(string content, string finishReason = "stop") => new()
    {
        Body = JsonSerializer.Serialize(new
        {
            id = "chatcmpl-test", @object = "chat.completion", model = "fake",
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = finishReason } },
        }),
    };

    public static FakeReply Error(int status, string message) => new()
    {
        Status = status,
        Body = JsonSerializer.Serialize(new { error = new { message, type = "test_error" } }),
    };
}

internal sealed class LlmFakeChatServer : IDisposable
{
    // A hand-rolled HTTP/1.1 responder on a raw socket (one request per connection, "Connection: close"), because
    // HttpListener cannot really drop a connection: its Abort still sends an empty 200 on Linux.
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<FakeRequest, FakeReply> _script;
    private readonly CancellationTokenSource _stop = new();
    private int _count;
    private int _inFlight;
    private int _maxInFlight;

    public LlmFakeChatServer(Func<FakeRequest, FakeReply> script)
    {
        _script = script;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoop);
    }

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}/v1";
    public ConcurrentQueue<FakeRequest> Requests { get; } = new();
    public int RequestCount => Volatile.Read(ref _count);
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>A port nothing listens on (bound, then released): connecting to it is refused.</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception) { return; } // stopped
            _ = Task.Run(() => Handle(socket));
        }
    }

    private async Task Handle(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            var (path, headers, body) = await ReadRequest(stream);
            int now = Interlocked.Increment(ref _inFlight);
            try
            {
                int seen;
                while ((seen = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen) { }
                headers.TryGetValue("authorization", out string? auth);
                var request = new FakeRequest(Interlocked.Increment(ref _count) - 1, path, body, auth, headers);
                Requests.Enqueue(request);
                var reply = _script(request);
                if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay, _stop.Token);
                if (reply.Drop)
                {
                    socket.LingerState = new LingerOption(true, 0); // reset, not a graceful close
                    return;
                }
                byte[] payload = reply.RawBody ?? Encoding.UTF8.GetBytes(reply.Body);
                var head = new StringBuilder($"HTTP/1.1 {reply.Status} {ReasonPhrase(reply.Status)}\r\n");
                head.Append("Content-Type: application/json\r\nConnection: close\r\n");
                head.Append($"Content-Length: {payload.Length}\r\n");
                foreach (var (name, value) in reply.Headers) head.Append($"{name}: {value}\r\n");
                head.Append("\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
                await stream.WriteAsync(payload);
                await stream.FlushAsync();
                socket.Shutdown(SocketShutdown.Send);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
        catch (Exception)
        {
            // The client gave up (timeout, cancellation) or the server is stopping; nothing to report.
        }
    }

    private static async Task<(string Path, Dictionary<string, string> Headers, string Body)> ReadRequest(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfBlankLine(buffer)) < 0)
        {
            int n = await stream.ReadAsync(chunk);
            if (n == 0) throw new IOException("client closed before sending headers");
            buffer.AddRange(chunk.AsSpan(0, n).ToArray());
        }
        string[] lines = Encoding.ASCII.GetString(buffer.GetRange(0, headerEnd).ToArray()).Split("\r\n");
        string path = lines[0].Split(' ')[1];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        int length = headers.TryGetValue("content-length", out var cl) ? int.Parse(cl) : 0;
        var body = buffer.Skip(headerEnd + 4).ToList();
        while (body.Count < length)
        {
            int n = await stream.ReadAsync(chunk);
            if (n == 0) break;
            body.AddRange(chunk.AsSpan(0, n).ToArray());
        }
        return (path, headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    private static int IndexOfBlankLine(List<byte> buffer)
    {
        for (int i = 0; i + 3 < buffer.Count; i++)
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n') return i;
        return -1;
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK", 401 => "Unauthorized", 404 => "Not Found", 429 => "Too Many Requests",
        500 => "Internal Server Error", 503 => "Service Unavailable", _ => "Status",
    };

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
