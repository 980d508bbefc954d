// What the hub said about one file before downloading it: where to GET it, the commit the revision
// resolved to, the ETag that names its blob (the sha256 for LFS files) and its size when known.
namespace CircuitLens.Model.Hub;

internal sealed record RemoteFile(string Name, Uri DownloadUrl, string Commit, string ETag, long? Size)
{
    /// <summary>LFS files carry their sha256 as the ETag; plain git files carry a git object id we do not check.</summary>
    public bool ETagIsSha256 => ETag.Length == 64 && ETag.All(Uri.IsHexDigit);
}
