// ModelLocator end to end against FakeHubServer (a real HTTP server on 127.0.0.1) and a temporary cache:
// fresh download into the huggingface_hub layout, cache hits without network, resume after a dropped
// connection, retries, checksum failure, 404, offline mode, and local directory validation.
using System.Security.Cryptography;
using CircuitLens.Model.Hub;

namespace CircuitLens.Tests.IO;

public sealed class ModelLocatorTests : IDisposable
{
    private const string Commit = "607a30d783dfa663caf39e06633721c8d4cfcd7e";
    private static readonly byte[] ConfigBytes = File.ReadAllBytes(Path.Combine(IoFixtures.TinyModelDir, "config.json"));
    private static readonly byte[] ModelBytes = File.ReadAllBytes(Path.Combine(IoFixtures.TinyModelDir, "model.safetensors"));
    private static readonly byte[] MergesBytes = "#version: 0.2\nĠ t\n"u8.ToArray();
    private static readonly string ModelSha = Convert.ToHexStringLower(SHA256.HashData(ModelBytes));

    private readonly FakeHubServer _server = new();
    private readonly TempDir _cache = new();

    public ModelLocatorTests()
    {
        _server.AddRepo("openai-community/gpt2", Commit, new Dictionary<string, byte[]>
        {
            ["config.json"] = ConfigBytes,
            ["model.safetensors"] = ModelBytes,
            ["merges.txt"] = MergesBytes, // vocab.json deliberately absent: optional files may 404
        }, "model.safetensors");
    }

    public void Dispose()
    {
        _server.Dispose();
        _cache.Dispose();
    }

    private HubOptions Options(bool offline = false) => new()
    {
        Endpoint = _server.Endpoint,
        CacheDir = _cache.Path,
        Offline = offline,
        RetryDelay = TimeSpan.FromMilliseconds(5),
        Timeout = TimeSpan.FromSeconds(20),
    };

    private string RepoDir => Path.Combine(_cache.Path, "models--openai-community--gpt2");

    [Fact]
    public void FreshDownloadFillsTheHubCacheLayoutAndSecondResolveUsesNoNetwork()
    {
        var progress = new List<DownloadProgress>();
        var options = new HubOptions
        {
            Endpoint = _server.Endpoint, CacheDir = _cache.Path, RetryDelay = TimeSpan.FromMilliseconds(5),
            Progress = new SyncProgress(progress.Add),
        };
        string dir = ModelLocator.Resolve("gpt2", options);

        Assert.Equal(Path.Combine(RepoDir, "snapshots", Commit), dir);
        Assert.Equal(ConfigBytes, File.ReadAllBytes(Path.Combine(dir, "config.json")));
        Assert.True(ModelBytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, "model.safetensors"))));
        Assert.Equal(MergesBytes, File.ReadAllBytes(Path.Combine(dir, "merges.txt")));
        Assert.False(File.Exists(Path.Combine(dir, "vocab.json")));
        Assert.True(File.Exists(Path.Combine(RepoDir, ".no_exist", Commit, "vocab.json")));
        Assert.Equal(Commit, File.ReadAllText(Path.Combine(RepoDir, "refs", "main")));

        // snapshots/<commit>/model.safetensors -> ../../blobs/<sha256>, as huggingface_hub lays it out
        var link = new FileInfo(Path.Combine(dir, "model.safetensors"));
        Assert.Equal(Path.Combine("..", "..", "blobs", ModelSha), link.LinkTarget);
        Assert.True(File.Exists(Path.Combine(RepoDir, "blobs", ModelSha)));
        Assert.Empty(Directory.GetFiles(Path.Combine(RepoDir, "blobs"), "*.incomplete"));

        Assert.Contains(progress, p => p.File == "model.safetensors" && p.BytesDone == ModelBytes.Length && p.TotalBytes == ModelBytes.Length);
        Assert.Equal(1, _server.CountRequests("GET", "/cdn/"));

        int before = _server.Requests.Count;
        Assert.Equal(dir, ModelLocator.Resolve("gpt2", Options()));
        Assert.Equal(dir, ModelLocator.Resolve("openai-community/gpt2", Options()));
        Assert.Equal(dir, ModelLocator.Resolve("openai-community/gpt2", Options(offline: true)));
        Assert.Equal(before, _server.Requests.Count);
    }

    [Fact]
    public void DroppedConnectionIsResumedWithARangeRequest()
    {
        _server.DropAfterBytes.Enqueue(3_000_000);
        _server.DropAfterBytes.Enqueue(1_000_000); // the first resume is cut too
        string dir = ModelLocator.Resolve("openai-community/gpt2", Options());

        Assert.True(ModelBytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, "model.safetensors"))));
        var ranges = _server.Requests.Where(r => r.Path.StartsWith("/cdn/")).Select(r => r.Range).ToList();
        Assert.Equal([null, "bytes=3000000-", "bytes=4000000-"], ranges);
    }

    [Fact]
    public void ServerErrorsAreRetriedAndAServerIgnoringRangeStillGivesTheRightBytes()
    {
        _server.FailWithStatus.Enqueue(503);
        _server.FailWithStatus.Enqueue(429);
        _server.DropAfterBytes.Enqueue(0);
        _server.DropAfterBytes.Enqueue(2_000_000);
        _server.IgnoreRange = true;
        string dir = ModelLocator.Resolve("openai-community/gpt2", Options());

        Assert.True(ModelBytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, "model.safetensors"))));
        Assert.Equal(5, _server.CountRequests("GET", "/cdn/"));
    }

    [Fact]
    public void GivesUpAfterMaxRetries()
    {
        for (int i = 0; i < 10; i++) _server.FailWithStatus.Enqueue(503);
        var options = new HubOptions { Endpoint = _server.Endpoint, CacheDir = _cache.Path, RetryDelay = TimeSpan.FromMilliseconds(1), MaxRetries = 2 };
        var e = Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("gpt2", options));
        Assert.Contains("503", e.Message);
        Assert.Equal(3, _server.CountRequests("GET", "/cdn/"));
    }

    [Fact]
    public void Sha256MismatchDeletesTheDownloadAndLeavesNoSnapshot()
    {
        _server.AdvertisedSha256 = new string('a', 64);
        var e = Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("gpt2", Options()));
        Assert.Contains("sha256", e.Message);
        Assert.Contains("model.safetensors", e.Message);
        Assert.False(File.Exists(Path.Combine(RepoDir, "snapshots", Commit, "model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(RepoDir, "refs")));
        var blobs = Directory.GetFiles(Path.Combine(RepoDir, "blobs")).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(ModelSha, blobs);
        Assert.DoesNotContain(blobs, b => b!.EndsWith(".incomplete"));
        Assert.Single(blobs); // config.json's blob was fine and stays
    }

    [Fact]
    public void UnknownRepoGivesAOneLine404Error()
    {
        var e = Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("foo/bar", Options()));
        Assert.Equal($"unknown model 'foo/bar' on {_server.Endpoint} (404)", e.Message);
    }

    [Fact]
    public void OfflineWithEmptyCacheListsTheMissingFiles()
    {
        var e = Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("gpt2", Options(offline: true)));
        Assert.Contains("offline", e.Message);
        Assert.Contains("config.json, model.safetensors", e.Message);
        Assert.Contains(_cache.Path, e.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void OfflineUsesACacheFilledUnderTheAliasFolder()
    {
        // What an older huggingface_hub left behind: models--gpt2, plain files rather than links.
        string repo = Path.Combine(_cache.Path, "models--gpt2");
        string snapshot = Path.Combine(repo, "snapshots", Commit);
        Directory.CreateDirectory(snapshot);
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), Commit + "\n");
        File.WriteAllBytes(Path.Combine(snapshot, "config.json"), ConfigBytes);
        File.WriteAllBytes(Path.Combine(snapshot, "model.safetensors"), ModelBytes);

        Assert.Equal(snapshot, ModelLocator.Resolve("gpt2", Options(offline: true)));
        Assert.Equal(snapshot, ModelLocator.Resolve("openai-community/gpt2", Options(offline: true)));
        Assert.Equal(snapshot, ModelLocator.Resolve("gpt2", Options(offline: false)));
        Assert.Empty(_server.Requests);

        // A snapshot whose blob link dangles does not count as cached.
        File.Delete(Path.Combine(snapshot, "model.safetensors"));
        File.CreateSymbolicLink(Path.Combine(snapshot, "model.safetensors"), "../../blobs/gone");
        var e = Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("gpt2", Options(offline: true)));
        Assert.Contains("missing model.safetensors", e.Message);
    }

    [Fact]
    public void LocalDirectoriesAreValidated()
    {
        using var local = new TempDir();
        File.WriteAllBytes(local.File("config.json"), ConfigBytes);
        var e = Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve(local.Path, Options()));
        Assert.Equal($"model directory {local.Path} has no model.safetensors", e.Message);

        File.Copy(Path.Combine(IoFixtures.TinyModelDir, "model.safetensors"), local.File("model.safetensors"));
        Assert.Equal(local.Path, ModelLocator.Resolve(local.Path, Options()));

        Assert.Equal("model directory ./no-such-model does not exist",
            Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("./no-such-model", Options())).Message);
        Assert.Equal($"model directory {local.Path}/nested/gpt2 does not exist",
            Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve(local.Path + "/nested/gpt2", Options())).Message);
        Assert.Contains("is a file", Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve(local.File("config.json"), Options())).Message);
        Assert.Contains("nor a valid hub model id", Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("bad name!", Options())).Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void CancellationStopsTheDownload()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ModelLocator.Resolve("gpt2", Options(), cts.Token));
    }

    // Progress<T> posts to the thread pool; the test wants the reports synchronously and in order.
    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
