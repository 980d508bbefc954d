// The huggingface_hub cache layout, read and written the way Python does it so both share one cache:
//   <cache>/models--owner--name/refs/<revision>          the commit hash a branch/tag pointed to
//   <cache>/models--owner--name/blobs/<etag>             file contents, named by ETag (sha256 for LFS files)
//   <cache>/models--owner--name/snapshots/<commit>/<f>   relative symlink to ../../blobs/<etag> (a copy if links fail)
//   <cache>/models--owner--name/.no_exist/<commit>/<f>   marker: the file does not exist at that commit
// Does no networking and no verification of blob contents. Every path it hands out is checked to lie
// under the cache root, and commits and blob names must be hex ids: whatever a hub sends, nothing is
// written outside the cache.
using System.Text.RegularExpressions;
using CircuitLens.Tensors;

namespace CircuitLens.Model.Hub;

internal sealed partial class HubCache(string root)
{
    public string Root { get; } = Path.GetFullPath(HubOptions.ExpandHome(root));

    public string RepoDir(string folderName) => Inside(Path.Combine(Root, folderName));

    /// <summary>A git commit id as the hub sends it: 40 lower-case hex digits.</summary>
    public static bool IsCommitHash(string revision) => CommitPattern().IsMatch(revision);

    /// <summary>A blob name: a git object id (40 hex digits, plain files) or a sha256 (64 hex digits, LFS files), lower-case.</summary>
    public static bool IsBlobName(string etag) => BlobPattern().IsMatch(etag);

    /// <summary>The commit a revision resolves to in this repo folder: the revision itself if it is a hash, else refs/&lt;revision&gt;.</summary>
    public string? ReadCommit(string folderName, string revision)
    {
        if (IsCommitHash(revision)) return revision;
        string refFile = Inside(Path.Combine(RepoDir(folderName), "refs", revision));
        if (!File.Exists(refFile)) return null;
        string commit = File.ReadAllText(refFile).Trim();
        return IsCommitHash(commit) ? commit : null;
    }

    public string SnapshotDir(string folderName, string commit) =>
        IsCommitHash(commit) ? Inside(Path.Combine(RepoDir(folderName), "snapshots", commit))
            : throw new CircuitLensException($"refusing hub commit id '{commit}': expected 40 lower-case hex digits");

    public string BlobPath(string folderName, string etag) =>
        IsBlobName(etag) ? Inside(Path.Combine(RepoDir(folderName), "blobs", etag))
            : throw new CircuitLensException($"refusing hub blob name (ETag) '{etag}': expected a 40- or 64-digit hex id");

    /// <summary>Points snapshots/&lt;commit&gt;/&lt;file&gt; at the blob with a relative symlink, or copies the blob where links are not allowed.</summary>
    public void LinkSnapshotFile(string folderName, string commit, string file, string etag)
    {
        string snapshotFile = Inside(Path.Combine(SnapshotDir(folderName, commit), file));
        Directory.CreateDirectory(Path.GetDirectoryName(snapshotFile)!);
        string blob = BlobPath(folderName, etag);
        string relative = Path.GetRelativePath(Path.GetDirectoryName(snapshotFile)!, blob);
        if (File.Exists(snapshotFile) || new FileInfo(snapshotFile).LinkTarget is not null) File.Delete(snapshotFile);
        try
        {
            File.CreateSymbolicLink(snapshotFile, relative);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // Windows without developer mode, or file systems without links: a copy works the same for readers.
            using var target = AtomicFile.Create(snapshotFile);
            using (var source = File.OpenRead(blob)) source.CopyTo(target.Stream);
            target.Commit();
        }
    }

    public void WriteRef(string folderName, string revision, string commit)
    {
        if (IsCommitHash(revision)) return;
        if (!IsCommitHash(commit)) throw new CircuitLensException($"refusing hub commit id '{commit}': expected 40 lower-case hex digits");
        using var file = AtomicFile.Create(Inside(Path.Combine(RepoDir(folderName), "refs", revision)));
        file.Stream.Write(System.Text.Encoding.ASCII.GetBytes(commit));
        file.Commit();
    }

    /// <summary>Records that an optional file does not exist at a commit, as huggingface_hub does.</summary>
    public void MarkMissing(string folderName, string commit, string file)
    {
        try
        {
            if (!IsCommitHash(commit)) return;
            string marker = Inside(Path.Combine(RepoDir(folderName), ".no_exist", commit, file));
            Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
            File.WriteAllBytes(marker, []);
        }
        catch (IOException) { } // only an optimisation for later lookups
        catch (UnauthorizedAccessException) { }
    }

    // The full path, if it lies strictly below the root (after resolving "..", and with a rooted part replacing
    // everything before it, as Path.Combine does); a path naming anything else is an error, never a write.
    private string Inside(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.EndsInDirectorySeparator(Root) ? Root : Root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            throw new CircuitLensException($"refusing hub cache path {path}: it lies outside the cache {Root}");
        return full;
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();

    [GeneratedRegex("^(?:[0-9a-f]{40}|[0-9a-f]{64})$")]
    private static partial Regex BlobPattern();
}
