// The huggingface_hub cache layout, read and written the way Python does it so both share one cache:
//   <cache>/models--owner--name/refs/<revision>          the commit hash a branch/tag pointed to
//   <cache>/models--owner--name/blobs/<etag>             file contents, named by ETag (sha256 for LFS files)
//   <cache>/models--owner--name/snapshots/<commit>/<f>   relative symlink to ../../blobs/<etag> (a copy if links fail)
//   <cache>/models--owner--name/.no_exist/<commit>/<f>   marker: the file does not exist at that commit
// Does no networking and no verification of blob contents.
using System.Text.RegularExpressions;
using CircuitLens.Tensors;

namespace CircuitLens.Model.Hub;

internal sealed partial class HubCache(string root)
{
    public string Root { get; } = Path.GetFullPath(HubOptions.ExpandHome(root));

    public string RepoDir(string folderName) => Path.Combine(Root, folderName);

    public static bool IsCommitHash(string revision) => CommitPattern().IsMatch(revision);

    /// <summary>The commit a revision resolves to in this repo folder: the revision itself if it is a hash, else refs/&lt;revision&gt;.</summary>
    public string? ReadCommit(string folderName, string revision)
    {
        if (IsCommitHash(revision)) return revision;
        string refFile = Path.Combine(RepoDir(folderName), "refs", revision);
        if (!File.Exists(refFile)) return null;
        string commit = File.ReadAllText(refFile).Trim();
        return IsCommitHash(commit) ? commit : null;
    }

    public string SnapshotDir(string folderName, string commit) => Path.Combine(RepoDir(folderName), "snapshots", commit);

    public string BlobPath(string folderName, string etag) => Path.Combine(RepoDir(folderName), "blobs", etag);

    /// <summary>Points snapshots/&lt;commit&gt;/&lt;file&gt; at the blob with a relative symlink, or copies the blob where links are not allowed.</summary>
    public void LinkSnapshotFile(string folderName, string commit, string file, string etag)
    {
        string snapshotFile = Path.Combine(SnapshotDir(folderName, commit), file);
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
        using var file = AtomicFile.Create(Path.Combine(RepoDir(folderName), "refs", revision));
        file.Stream.Write(System.Text.Encoding.ASCII.GetBytes(commit));
        file.Commit();
    }

    /// <summary>Records that an optional file does not exist at a commit, as huggingface_hub does.</summary>
    public void MarkMissing(string folderName, string commit, string file)
    {
        try
        {
            string marker = Path.Combine(RepoDir(folderName), ".no_exist", commit, file);
            Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
            File.WriteAllBytes(marker, []);
        }
        catch (IOException) { } // only an optimisation for later lookups
        catch (UnauthorizedAccessException) { }
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
