// A time- and count-boxed mutation run without AFL: every corpus input as it is, then seeded mutations of
// corpus inputs, until the time or the input budget is spent or the first finding. A finding is saved
// under findings/<target>/ (beside the binary) so `replay` reproduces it.
namespace CircuitLens.Fuzzing;

public sealed record FuzzFinding(FuzzTarget Target, string Origin, byte[] Input, FuzzResult Result, string SavedAs)
{
    public string Describe() =>
        $"{Target.Name}: {Result.Outcome} on {Origin} ({Input.Length} bytes, saved as {SavedAs}): "
        + (Result.Exception is { } e ? $"{e.GetType().FullName}: {e.Message}\n{e.StackTrace}" : $"no answer after {Result.Elapsed.TotalSeconds:F1} s");
}

public sealed record FuzzReport(int Inputs, int Accepted, int Rejected, TimeSpan Elapsed, FuzzFinding? Finding)
{
    public string Summary => $"{Inputs} inputs in {Elapsed.TotalSeconds:F1} s: {Accepted} accepted, {Rejected} rejected with CircuitLensException"
        + (Finding is null ? ", no finding" : ", 1 finding");
}

public sealed class FuzzCampaign(FuzzTarget target, int seed)
{
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(5);

    public FuzzReport Run(TimeSpan budget, int maxMutations)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var corpus = FuzzRunner.LoadCorpus(target);
        var seeds = corpus.Select(c => c.Bytes).ToList();
        int inputs = 0, accepted = 0, rejected = 0;

        FuzzFinding? Try(string origin, byte[] input)
        {
            inputs++;
            var result = FuzzRunner.Run(target, input, HangLimit);
            if (result.Outcome == FuzzOutcome.Accepted) accepted++;
            if (result.Outcome == FuzzOutcome.Rejected) rejected++;
            return result.IsFinding ? new FuzzFinding(target, origin, input, result, Save(input, origin)) : null;
        }

        foreach (var (name, bytes) in corpus)
            if (Try($"corpus/{target.Name}/{name}", bytes) is { } finding)
                return new FuzzReport(inputs, accepted, rejected, clock.Elapsed, finding);

        var mutator = new Mutator(seed);
        for (int i = 0; i < maxMutations && clock.Elapsed < budget && seeds.Count > 0; i++)
        {
            int pick = i % seeds.Count;
            var input = mutator.Mutate(seeds[pick], seeds);
            if (Try($"mutation {i} of corpus/{target.Name}/{corpus[pick].Name} (seed {seed})", input) is { } finding)
                return new FuzzReport(inputs, accepted, rejected, clock.Elapsed, finding);
        }
        return new FuzzReport(inputs, accepted, rejected, clock.Elapsed, null);
    }

    private string Save(byte[] input, string origin)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "findings", target.Name);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"finding-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input))[..16]}");
        File.WriteAllBytes(path, input);
        File.WriteAllText(path + ".txt", origin + "\n");
        return path;
    }
}
