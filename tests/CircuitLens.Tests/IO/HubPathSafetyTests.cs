// A hostile or broken hub must not decide where files land: X-Repo-Commit and ETag values that hold
// "../" or an absolute path, revisions that climb out of refs/, and names of the wrong form are refused
// with one line, and nothing is written outside the cache directory (issue 11, item 1).
using CircuitLens.Model.Hub;

namespace CircuitLens.Tests.IO;

public sealed class HubPathSafetyTests : IDisposable
{
    private const string Commit = "607a30d783dfa663caf39e06633721c8d4cfcd7e";
    private static readonly byte[] ConfigBytes = File.ReadAllBytes(Path.Combine(IoFixtures.TinyModelDir, "config.json"));
    private static readonly byte[] ModelBytes = File.ReadAllBytes(Path.Combine(IoFixtures.TinyModelDir, "model.safetensors"));

    private readonly FakeHubServer _server = new();
    private readonly TempDir _root = new();   // holds cache/ and nothing else: anything else that appears escaped

    public HubPathSafetyTests()
    {
        _server.AddRepo("openai-community/gpt2", Commit, new Dictionary<string, byte[]>
        {
            ["config.json"] = ConfigBytes,
            ["model.safetensors"] = ModelBytes,
        }, "model.safetensors");
        Directory.CreateDirectory(CacheDir);
    }

    public void Dispose()
    {
        _server.Dispose();
        _root.Dispose();
    }

    private string CacheDir => _root.File("cache");

    private HubOptions Options(string revision = "main") => new()
    {
        Endpoint = _server.Endpoint,
        CacheDir = CacheDir,
        Revision = revision,
        RetryDelay = TimeSpan.FromMilliseconds(5),
        MaxRetries = 1,
    };

    private void AssertNothingOutsideTheCache()
    {
        var outside = Directory.EnumerateFileSystemEntries(_root.Path).Where(p => p != CacheDir).ToList();
        Assert.Empty(outside);
    }

    [Theory]
    [InlineData("X-Repo-Commit", "../../../escaped-commit")]
    [InlineData("X-Repo-Commit", "../../blobs")]
    [InlineData("X-Repo-Commit", "607a30d783dfa663caf39e06633721c8d4cfcd7e/../../../../escaped")]
    [InlineData("ETag", "\"../../../escaped-blob\"")]
    [InlineData("ETag", "\"not-a-git-object-id\"")]
    [InlineData("X-Linked-Etag", "\"../../../escaped-lfs-blob\"")]
    [InlineData("X-Linked-Etag", "\"0123456789abcdef0123456789abcdef01234567\"")] // LFS blobs are named by sha256, not sha1
    public void HostileHeaderIsRefusedAndNothingIsWrittenOutsideTheCache(string header, string value)
    {
        _server.HeaderOverrides[header] = value;
        var e = Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("gpt2", Options()));
        Assert.Contains(header.StartsWith("X-Repo", StringComparison.Ordinal) ? "commit" : "ETag", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        AssertNothingOutsideTheCache();
        Assert.Equal(0, _server.CountRequests("GET", "/cdn/"));
    }

    [Theory]
    [InlineData("X-Repo-Commit")]
    [InlineData("ETag")]
    [InlineData("X-Linked-Etag")]
    public void AbsolutePathInAHeaderIsRefused(string header)
    {
        string target = _root.File("absolute-target");
        _server.HeaderOverrides[header] = header == "X-Repo-Commit" ? target : $"\"{target}\"";
        Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("gpt2", Options()));
        AssertNothingOutsideTheCache();
    }

    [Theory]
    [InlineData("../../escaped")]
    [InlineData("refs/../../../escaped")]
    [InlineData("/tmp/escaped")]
    [InlineData("main/..")]
    public void RevisionThatClimbsOutOfRefsIsRefusedBeforeAnyRequest(string revision)
    {
        var e = Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("gpt2", Options(revision)));
        Assert.Contains("invalid revision", e.Message);
        Assert.Empty(_server.Requests);
        AssertNothingOutsideTheCache();
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://127.0.0.1/blob")]
    [InlineData("gopher://127.0.0.1:70/blob")]
    public void RedirectToANonHttpSchemeIsOneClearError(string location)
    {
        _server.HeaderOverrides["Location"] = location;
        var e = Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve("gpt2", Options()));
        Assert.Contains("redirect", e.Message);
        Assert.Contains("model.safetensors", e.Message);
        AssertNothingOutsideTheCache();
    }

    [Theory]
    [InlineData("owner/..")]
    [InlineData("owner/..x")]
    [InlineData("a--b/c")]
    [InlineData("owner/.hidden")]
    [InlineData("owner/name/extra/..")]
    public void HubIdThatCouldNameAnotherFolderIsRefusedBeforeAnyRequest(string id)
    {
        Assert.Throws<CircuitLensException>(() => ModelLocator.Resolve(id, Options()));
        Assert.Empty(_server.Requests);
        AssertNothingOutsideTheCache();
    }

    [Fact]
    public void HonestHubStillWorksWithUpperCaseHexAndADottedTag()
    {
        _server.HeaderOverrides["X-Repo-Commit"] = Commit.ToUpperInvariant();
        string dir = ModelLocator.Resolve("gpt2", Options("v1.0"));
        Assert.StartsWith(CacheDir + Path.DirectorySeparatorChar, dir);
        Assert.Equal(ConfigBytes, File.ReadAllBytes(Path.Combine(dir, "config.json")));
        Assert.EndsWith(Path.Combine("snapshots", Commit), dir); // commit ids are stored lower-case, as huggingface_hub does
        int requests = _server.Requests.Count;
        Assert.Equal(dir, ModelLocator.Resolve("gpt2", Options("v1.0")));
        Assert.Equal(requests, _server.Requests.Count);
        AssertNothingOutsideTheCache();
    }

    [Fact]
    public void CacheRefusesPathsThatLeaveItsRoot()
    {
        var cache = new HubCache(CacheDir);
        const string folder = "models--openai-community--gpt2";
        Assert.Throws<CircuitLensException>(() => cache.BlobPath(folder, "../../../x"));
        Assert.Throws<CircuitLensException>(() => cache.SnapshotDir(folder, "/etc"));
        Assert.Throws<CircuitLensException>(() => cache.RepoDir(".."));
        Assert.Throws<CircuitLensException>(() => cache.WriteRef(folder, "../../../../escaped-ref", Commit));
        AssertNothingOutsideTheCache();
    }
}
