// The published facts of the three tasks on the real GPT-2 small (skipped unless CIRCUITLENS_GPT2_DIR
// is set): greater-than's clean probability difference is large and heads 9.1 and MLP 10 are among
// its strongest components (Hanna et al. 2023); acronyms' letter movers 8.11 and 9.9 are among the
// strongest heads at the third letter (García-Carrasco et al. 2024); induction heads make the
// second copy of a repeated random sequence far more predictable than the first.
using CircuitLens.Tasks.Acronyms;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.GreaterThan;
using CircuitLens.Tasks.Induction;

namespace CircuitLens.Tests.RealModel;

public sealed class TaskRealModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-gpt2tasks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ExperimentOptions Options(string task, int n, CorrectnessMode? filter) =>
        new() { N = n, Seed = 0, Filter = filter, OutDir = Path.Combine(_dir, task), ModelName = "gpt2" };

    [RealModelFact]
    public void GreaterThanHasALargeProbDiffAndHead91AndMlp10AmongTheTopComponents()
    {
        var result = GreaterThanExperiment.Run(Gpt2Small.Model, Options("greater-than", 50, null));
        Assert.True(result.MeanCleanProbDiff > 0.5f, $"mean clean prob-diff {result.MeanCleanProbDiff}");
        var top = result.TopComponents.Take(10).Select(c => c.Name).ToList();
        string shown = string.Join(", ", result.TopComponents.Take(12).Select(c => $"{c.Name}={c.Score:F3}"));
        Assert.True(top.Contains("9.1"), $"9.1 not among the top 10 components: {shown}");
        Assert.True(top.Contains("MLP 10"), $"MLP 10 not among the top 10 components: {shown}");
        Assert.True(result.CircuitProbDiff > 0.5f * result.MeanCleanProbDiff, $"the reported circuit patched in restores prob-diff {result.CircuitProbDiff} of {result.MeanCleanProbDiff}");
    }

    [RealModelFact]
    public void AcronymLetterMovers811And99AreAmongTheTopHeadsAtTheThirdLetter()
    {
        var result = AcronymsExperiment.Run(Gpt2Small.Model, Options("acronyms", 60, CorrectnessMode.Top1));
        var top = result.TopHeads(3).Take(8).Select(h => h.Name).ToList();
        string shown = string.Join(", ", result.TopHeads(3).Take(10).Select(h => $"{h.Name}={h.Score:F3}"));
        Assert.True(top.Contains("8.11") && top.Contains("9.9"), $"8.11 and 9.9 should be among the top 8 heads at letter 3: {shown}");
    }

    [RealModelFact]
    public void InductionMakesTheSecondCopyPredictable()
    {
        var result = InductionExperiment.Run(Gpt2Small.Model, Options("induction", 20, null), length: 20);
        Assert.True(result.Analysis.SecondHalfLoss < 0.5f * result.Analysis.FirstHalfLoss,
            $"loss first copy {result.Analysis.FirstHalfLoss}, second copy {result.Analysis.SecondHalfLoss}");
        Assert.True(result.MeanCleanLogitDiff > 0, $"mean clean logit diff {result.MeanCleanLogitDiff}");
    }
}
