// The fuzzing that runs in CI without AFL: every target's committed corpus, then seeded mutations of it,
// time-boxed per target (CIRCUITLENS_FUZZ_SECONDS, default 3; CIRCUITLENS_FUZZ_INPUTS caps the count,
// default 2000). The contract: an input is accepted or refused with CircuitLensException, nothing else
// escapes, nothing hangs. A finding is saved under findings/<target>/ and the failure says how to replay it.
namespace CircuitLens.Fuzzing;

public class CorpusReplayTests
{
    private const int Seed = 20261130;

    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    private static double Setting(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.CultureInfo.InvariantCulture, out double v) && v > 0 ? v : fallback;

    [Theory]
    [MemberData(nameof(Targets))]
    public void CorpusIsAcceptedOrRejectedCleanlyAndHoldsValidInputs(string name)
    {
        var target = FuzzTargets.Get(name);
        var corpus = FuzzRunner.LoadCorpus(target);
        Assert.True(corpus.Count >= 2, $"corpus/{name}/ needs at least two seed inputs");
        int accepted = 0;
        foreach (var (file, bytes) in corpus)
        {
            var result = FuzzRunner.Run(target, bytes, FuzzCampaign.HangLimit);
            Assert.False(result.IsFinding, $"corpus/{name}/{file}: {result.Outcome} {result.Exception}");
            if (result.Outcome == FuzzOutcome.Accepted) accepted++;
        }
        // Mutating only inputs the parser refuses would never get past its first check.
        Assert.True(accepted == corpus.Count, $"{corpus.Count - accepted} of corpus/{name}/ are refused; seed inputs must be valid");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void MutatedInputsEndInCircuitLensExceptionAtWorst(string name)
    {
        var target = FuzzTargets.Get(name);
        int seed = Seed + FuzzTargets.All.ToList().IndexOf(target);
        var report = new FuzzCampaign(target, seed).Run(TimeSpan.FromSeconds(Setting("CIRCUITLENS_FUZZ_SECONDS", 3)), (int)Setting("CIRCUITLENS_FUZZ_INPUTS", 2000));
        if (report.Finding is { } finding)
            Assert.Fail($"{finding.Describe()}\nreplay: dotnet run --project tests/CircuitLens.Fuzzing -- replay {name} {finding.SavedAs}");
        Assert.True(report.Inputs > FuzzRunner.LoadCorpus(target).Count, report.Summary);
        if (!target.AcceptsEverything) Assert.True(report.Rejected > 0, $"no mutation was refused, so the mutator reaches nothing: {report.Summary}");
    }

    [Fact]
    public void RunnerReportsCrashesAndHangsAsFindings()
    {
        var crash = new FuzzTarget("crash", "throws a non-project exception", _ => throw new InvalidOperationException("boom"));
        var hang = new FuzzTarget("hang", "never returns", _ => Thread.Sleep(Timeout.Infinite));
        var refuse = new FuzzTarget("refuse", "refuses cleanly", _ => throw new CircuitLensException("bad input"));
        Assert.Equal(FuzzOutcome.Crashed, FuzzRunner.Run(crash, [1], TimeSpan.FromSeconds(5)).Outcome);
        Assert.Equal(FuzzOutcome.Hung, FuzzRunner.Run(hang, [1], TimeSpan.FromMilliseconds(200)).Outcome);
        Assert.Equal(FuzzOutcome.Rejected, FuzzRunner.Run(refuse, [1], TimeSpan.FromSeconds(5)).Outcome);
    }

    [Fact]
    public void MutatorIsDeterministicForASeedAndChangesItsInput()
    {
        byte[] input = "{\"n_layer\":12,\"n_head\":12}"u8.ToArray();
        var a = new Mutator(7);
        var first = Enumerable.Range(0, 50).Select(_ => a.Mutate(input, [input])).ToList();
        var b = new Mutator(7);
        var second = Enumerable.Range(0, 50).Select(_ => b.Mutate(input, [input])).ToList();
        Assert.Equal(first, second);
        Assert.Contains(first, m => !m.AsSpan().SequenceEqual(input));
    }
}
