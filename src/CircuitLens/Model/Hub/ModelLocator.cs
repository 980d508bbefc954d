// Turns the --model argument into a directory holding config.json and model.safetensors (plus vocab.json
// and merges.txt when the repo has them). A local directory is used as it is; a hub id is looked up in the
// huggingface_hub cache (alias and canonical folders) and downloaded into it only when files are missing.
// Does not parse config.json or the checkpoint: it only finds the files.
namespace CircuitLens.Model.Hub;

public static class ModelLocator
{
    public static IReadOnlyList<string> RequiredFiles { get; } = ["config.json", "model.safetensors"];
    public static IReadOnlyList<string> OptionalFiles { get; } = ["vocab.json", "merges.txt"];

    /// <summary>Returns the model directory; throws <see cref="CircuitLensException"/> with one line saying what is wrong.</summary>
    public static string Resolve(string model, HubOptions options, CancellationToken ct = default) =>
        ResolveAsync(model, options, ct).GetAwaiter().GetResult();

    public static async Task<string> ResolveAsync(string model, HubOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(model)) throw new CircuitLensException("no model given: pass a model directory or a hub id such as gpt2");

        string expanded = HubOptions.ExpandHome(model);
        if (Directory.Exists(expanded)) return ValidateLocalDirectory(expanded, model);
        if (File.Exists(expanded))
            throw new CircuitLensException($"{model} is a file; the model must be a directory with config.json and model.safetensors, or a hub id such as gpt2");
        if (LooksLikeLocalPath(model)) throw new CircuitLensException($"model directory {model} does not exist");

        var repo = HubRepoId.TryParse(model)
            ?? throw new CircuitLensException($"'{model}' is neither an existing model directory nor a valid hub model id (owner/name)");
        ValidateRevision(options.Revision);
        return await ResolveFromHubAsync(repo, options, ct);
    }

    private static string ValidateLocalDirectory(string dir, string shownAs)
    {
        var missing = RequiredFiles.Where(f => !File.Exists(Path.Combine(dir, f))).ToList();
        if (missing.Count > 0)
            throw new CircuitLensException($"model directory {shownAs} has no {string.Join(" and no ", missing)}");
        return Path.GetFullPath(dir);
    }

    // "./x", "/x", "~/x", "a/b/c", "dir\\x" and "models/gpt2" when ./models exists are paths the user meant
    // locally; sending them to the hub would only turn a typo into a confusing network error.
    private static bool LooksLikeLocalPath(string model)
    {
        if (model[0] is '.' or '/' or '~' or '\\' || Path.IsPathRooted(model)) return true;
        if (model.Contains('\\') || model.EndsWith('/')) return true;
        int slashes = model.Count(c => c == '/');
        if (slashes > 1) return true;
        return slashes == 1 && Directory.Exists(model[..model.IndexOf('/')]);
    }

    private static void ValidateRevision(string revision)
    {
        if (string.IsNullOrWhiteSpace(revision) || revision.Contains("..", StringComparison.Ordinal) || revision.StartsWith('/')
            || revision.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/')))
            throw new CircuitLensException($"invalid revision '{revision}': expected a branch, tag or commit hash");
    }

    private static async Task<string> ResolveFromHubAsync(HubRepoId repo, HubOptions options, CancellationToken ct)
    {
        var cache = new HubCache(options.CacheDir);
        var (cached, missing) = FindCachedSnapshot(cache, repo, options.Revision);
        if (cached is not null) return cached;

        if (options.Offline)
            throw new CircuitLensException(
                $"model '{repo}' (revision {options.Revision}) is not in the hub cache {cache.Root} and offline mode is on: missing {string.Join(", ", missing)}");

        using var downloader = new HubDownloader(options);
        string folder = repo.CanonicalFolderName;
        var remotes = new List<RemoteFile>();
        var absent = new List<string>();
        foreach (string file in RequiredFiles.Concat(OptionalFiles))
        {
            bool optional = !RequiredFiles.Contains(file);
            var remote = await downloader.GetMetadataAsync(repo, options.Revision, file, optional, ct);
            if (remote is null) absent.Add(file);
            else remotes.Add(remote);
        }

        string commit = remotes[0].Commit;
        if (remotes.FirstOrDefault(r => r.Commit != commit) is { } moved)
            throw new CircuitLensException($"model '{repo}' changed on the hub while resolving ({moved.Name} is at commit {moved.Commit}, {remotes[0].Name} at {commit}); try again");
        foreach (var remote in remotes)
        {
            string blob = cache.BlobPath(folder, remote.ETag);
            if (!(File.Exists(blob) && (remote.Size is null || new FileInfo(blob).Length == remote.Size)))
                await downloader.DownloadAsync(remote, blob + ".incomplete", blob, ct);
            cache.LinkSnapshotFile(folder, commit, remote.Name, remote.ETag);
        }
        foreach (string file in absent) cache.MarkMissing(folder, commit, file);
        cache.WriteRef(folder, options.Revision, commit);
        return cache.SnapshotDir(folder, commit);
    }

    // The first snapshot (canonical folder, then alias folder) holding every required file; otherwise the files the
    // best candidate lacks, for the offline error message.
    private static (string? Dir, List<string> Missing) FindCachedSnapshot(HubCache cache, HubRepoId repo, string revision)
    {
        List<string>? bestMissing = null;
        foreach (string folder in repo.CacheFolderNames())
        {
            string? commit = cache.ReadCommit(folder, revision);
            if (commit is null) continue;
            string dir = cache.SnapshotDir(folder, commit);
            var missing = RequiredFiles.Where(f => !ExistsFollowingLinks(Path.Combine(dir, f))).ToList();
            if (missing.Count == 0) return (dir, missing);
            if (bestMissing is null || missing.Count < bestMissing.Count) bestMissing = missing;
        }
        return (null, bestMissing ?? [.. RequiredFiles]);
    }

    private static bool ExistsFollowingLinks(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null) return info.Exists;
        return info.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true };
    }
}
