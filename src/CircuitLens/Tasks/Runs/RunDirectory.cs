// What a run may assume about its output directory before writing into it: it is new (created
// atomically, so two runs started in the same second get two directories, and holding whatever its
// creator prepared in it from the moment it has its name), or it is the same run's
// directory resumed (temporary files of an interrupted write are removed), and outputs of an earlier
// finished run listed in its run.json are removed before new ones are written, so no stale sweep
// file outlives the run that made it. Only files the runs themselves name are ever deleted.
using System.Text.Json;

namespace CircuitLens.Tasks.Runs;

public static class RunDirectory
{
    /// <summary>Creates and locks a fresh directory <paramref name="prefix"/>-yyyyMMdd-HHmmss[-N] under <paramref name="parent"/>. With
    /// <paramref name="prepare"/>, the directory's first files (e.g. a run's saved options) are written before it appears under that name:
    /// it is prepared under a hidden partial name and renamed into place, so a run killed meanwhile leaves no run directory (only a
    /// partial one, which the next claim under <paramref name="parent"/> removes). A failing <paramref name="prepare"/> leaves nothing.</summary>
    public static RunLock CreateNew(string parent, string prefix, DateTime now, Action<string>? prepare = null)
    {
        RemoveAbandonedPartials(parent);
        var hold = ClaimPartial(parent, prefix);
        try
        {
            prepare?.Invoke(hold.Directory);
            string stamp = $"{prefix}-{now:yyyyMMdd-HHmmss}";
            for (int i = 1; i < 10_000; i++)
            {
                string dir = Path.Combine(parent, i == 1 ? stamp : $"{stamp}-{i}");
                if (Directory.Exists(dir)) continue;   // an earlier run's directory, claimed or not
                if (TryMoveInto(hold, dir)) return hold;
            }
            throw new CircuitLensException($"{parent}: could not create a new run directory named {stamp}-N");
        }
        catch
        {
            Discard(hold);
            throw;
        }
    }

    /// <summary>The hidden name a run directory has while it is prepared: ".partial-" and 8 hex digits after the run's prefix.</summary>
    internal const string PartialMarker = ".partial-";

    private static RunLock ClaimPartial(string parent, string prefix)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            string dir = Path.Combine(parent, $".{prefix}{PartialMarker}{Guid.NewGuid().ToString("N")[..8]}");
            if (Directory.Exists(dir)) continue;
            if (RunLock.TryClaimNew(dir) is { } claimed) return claimed;
        }
        throw new CircuitLensException($"{parent}: could not create a new run directory");
    }

    // rename(2) of the prepared directory: atomic, and it fails when another run renamed its own directory to that name first.
    // Windows does not rename a directory holding an open file, so there the lock is let go for the rename and taken again.
    private static bool TryMoveInto(RunLock hold, string dir)
    {
        string partial = hold.Directory;
        if (OperatingSystem.IsWindows()) hold.Release();
        try { Directory.Move(partial, dir); }
        catch (IOException) when (Directory.Exists(dir))
        {
            if (OperatingSystem.IsWindows()) hold.Reacquire(partial);
            return false;
        }
        if (OperatingSystem.IsWindows()) hold.Reacquire(dir);
        hold.MovedTo(dir);
        return true;
    }

    private static void Discard(RunLock hold)
    {
        string dir = hold.Directory;
        hold.Dispose();
        if (Directory.Exists(dir) && Path.GetFileName(dir).Contains(PartialMarker, StringComparison.Ordinal)) Directory.Delete(dir, recursive: true);
    }

    // Partial directories of runs killed while preparing: their lock file is there but nobody holds it. One that is being
    // prepared is locked; one without a lock file yet is left alone (a run between creating it and locking it).
    private static void RemoveAbandonedPartials(string parent)
    {
        if (!Directory.Exists(parent)) return;
        foreach (var dir in Directory.EnumerateDirectories(parent, ".*" + PartialMarker + "*"))
        {
            if (RunLock.TryAcquireExisting(dir) is not { } abandoned) continue;
            using (abandoned)
            {
                try { Directory.Delete(dir, recursive: true); }
                catch (IOException) { }   // removed meanwhile by another run's sweep
                catch (UnauthorizedAccessException) { }
            }
        }
    }

    /// <summary>Deletes the temporary files (<c>name.tmp-xxxxxxxx</c>) an interrupted atomic write left in <paramref name="dir"/> and below.</summary>
    public static int RemoveTemporaryFiles(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        int removed = 0;
        foreach (var path in Directory.EnumerateFiles(dir, "*.tmp-*", SearchOption.AllDirectories))
        {
            if (!IsTemporaryName(Path.GetFileName(path))) continue;
            File.Delete(path);
            removed++;
        }
        return removed;
    }

    // AtomicFile's temporary names: the target's name, ".tmp-", then 8 hex digits.
    internal static bool IsTemporaryName(string name)
    {
        int at = name.LastIndexOf(".tmp-", StringComparison.Ordinal);
        return at > 0 && name.Length == at + 13 && name[(at + 5)..].All(Uri.IsHexDigit);
    }

    /// <summary>
    /// Removes the outputs of an earlier finished run in <paramref name="dir"/>: the files its
    /// <paramref name="manifest"/> (run.json, with a "files" list of relative names) lists, then the
    /// manifest itself. Names that would leave <paramref name="dir"/> are ignored.
    /// </summary>
    public static int RemovePreviousOutputs(string dir, string manifest = "run.json")
    {
        string path = Path.Combine(dir, manifest);
        if (!File.Exists(path)) return 0;
        string root = Path.GetFullPath(dir) + Path.DirectorySeparatorChar;
        var names = new List<string>();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("files", out var files) && files.ValueKind == JsonValueKind.Array)
                names.AddRange(files.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.String).Select(f => f.GetString()!));
        }
        catch (JsonException) { }   // an unreadable manifest lists nothing; it is still replaced below
        File.Delete(path);   // first: from here on the directory no longer claims to hold a finished run
        int removed = 0;
        foreach (var name in names)
        {
            string full = Path.GetFullPath(Path.Combine(dir, name));
            if (!full.StartsWith(root, StringComparison.Ordinal) || !File.Exists(full)) continue;
            File.Delete(full);
            removed++;
            string? parent = Path.GetDirectoryName(full);
            if (parent is not null && parent + Path.DirectorySeparatorChar != root && !Directory.EnumerateFileSystemEntries(parent).Any()) Directory.Delete(parent);
        }
        return removed;
    }
}
