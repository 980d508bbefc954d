// Progress of one file being fetched from the hub; TotalBytes is null when the server did not say.
namespace CircuitLens.Model.Hub;

public readonly record struct DownloadProgress(string File, long BytesDone, long? TotalBytes);
