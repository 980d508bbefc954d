// `circuitlens greater-than|acronyms|induction` end to end on the tiny fixture (--filter none: a random
// model gets nothing right): the run directory's artefacts, and the task numbers recomputed here
// independently from the model (prob-diff baselines and year probabilities, the per-letter maps from
// the raw sweep, the loss by position and an induction score from the attention pattern).
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Hooks;
using System.Globalization;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tasks.Acronyms;
using CircuitLens.Tasks.GreaterThan;
using CircuitLens.Tasks.Induction;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class TaskExperimentCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-tasks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Run(string task, params string[] extra)
    {
        var result = CliRunner.Ok([task, "--model", CliFixture.Model, "--filter", "none", "--runs-dir", _dir, .. extra]);
        string report = result.Stdout.Trim();
        Assert.Equal("report.html", Path.GetFileName(report));
        string run = Path.GetDirectoryName(report)!;
        Assert.StartsWith(task + "-", Path.GetFileName(run));
        PatchCommandTests.AssertSelfContainedReport(report);
        PatchCommandTests.AssertSelfContainedReport(Path.Combine(run, "patching", "report.html"));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!;
        Assert.Equal(task, (string)json["task"]!);
        foreach (var file in json["files"]!.AsArray()) Assert.True(File.Exists(Path.Combine(run, (string)file!)), (string)file!);
        return run;
    }

    private static List<JsonObject> Rows(string path) => File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    private static float[] LastSoftmax(HookedTransformer model, string prompt)
    {
        var logits = model.Forward(TokenBatch.Single(model.ToTokens(prompt)), LogitsMode.LastPosition).Slice(0, 0);
        var p = new float[logits.Length];
        TensorPrimitives.SoftMax(logits, p);
        return p;
    }

    [Fact]
    public void GreaterThanWritesProbDiffBaselinesAndYearProbabilities()
    {
        string run = Run("greater-than", "--n", "6", "--seed", "3");
        var model = TinyGpt2.Model;
        var pairs = Rows(Path.Combine(run, "pairs.jsonl")).Select(r => GreaterThanPair.FromJson(r)!).ToList();
        Assert.Equal(GreaterThanDatasetGenerator.Generate(new GreaterThanDatasetOptions { N = 6, Seed = 3 }), pairs);
        int[] years = GreaterThanVocabulary.TwoDigitTokens.Select(model.Tokenizer.TokenId).ToArray();

        // prob-diff on the clean prompts, from the full softmax here
        var clean = NpyFile.Read(Path.Combine(run, "patching", "clean_metric.npy"));
        for (int i = 0; i < pairs.Count; i++)
        {
            var p = LastSoftmax(model, pairs[i].Clean);
            double expected = Enumerable.Range(0, 100).Sum(y => (y > pairs[i].Year ? 1.0 : -1.0) * p[years[y]]);
            Assert.Equal(expected, clean[i], 1e-6);
        }
        Assert.Equal([6, 3, 4], NpyFile.Read(Path.Combine(run, "patching", "head-z.npy")).Shape);
        Assert.Equal(3, NpyFile.Read(Path.Combine(run, "patching", "mlp-out.npy")).Dim(1));

        // the clean year table: mean p(YY') over the prompts of each start year
        var table = NpyFile.Read(Path.Combine(run, "year_probabilities_clean.npy"));
        var corruptTable = NpyFile.Read(Path.Combine(run, "year_probabilities_corrupt.npy"));
        var startYears = pairs.Select(p => p.Year).Distinct().Order().ToArray();
        Assert.Equal([startYears.Length, 100], table.Shape);
        for (int r = 0; r < startYears.Length; r++)
        {
            var cleanProbs = pairs.Where(p => p.Year == startYears[r]).Select(p => LastSoftmax(model, p.Clean)).ToList();
            var corruptProbs = pairs.Where(p => p.Year == startYears[r]).Select(p => LastSoftmax(model, p.Corrupt)).ToList();
            for (int y = 0; y < 100; y++)
            {
                Assert.Equal(cleanProbs.Average(p => p[years[y]]), table[r, y], 1e-7);
                Assert.Equal(corruptProbs.Average(p => p[years[y]]), corruptTable[r, y], 1e-7);
            }
        }
        Assert.Equal([startYears.Length, 100], NpyFile.Read(Path.Combine(run, "year_probabilities_circuit_patched.npy")).Shape);
        Assert.True(File.Exists(Path.Combine(run, "year-probabilities.png")));

        // neurons of the last layer (the tiny model has no layers 8–11): attribution and exact scores match the engines' mlp-post-neuron sweeps
        var neurons = File.ReadAllLines(Path.Combine(run, "neurons.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(10, neurons.Count);
        var batch = PairFile.Read(Path.Combine(run, "pairs.jsonl")).Tokenize(model, prependBos: true).ToPatchingBatch();
        var sweep = Sweep.MlpPostNeuron.WithLayers([2]);
        var exactMap = FastActivationPatching.Run(model, batch, sweep).NormalizedMean();
        var attributionMap = AttributionPatching.Run(model, batch, sweep).NormalizedMean();
        var byMagnitude = Enumerable.Range(0, attributionMap.Dim(1)).OrderByDescending(n => Math.Abs(attributionMap[0, n])).Take(10).ToList();
        Assert.Equal(byMagnitude, neurons.Select(n => int.Parse(n[1])));
        foreach (var n in neurons)
        {
            Assert.Equal("2", n[0]);
            Assert.Equal(attributionMap[0, int.Parse(n[1])], double.Parse(n[2], CultureInfo.InvariantCulture), 1e-5);
            Assert.Equal(exactMap[0, int.Parse(n[1])], double.Parse(n[3], CultureInfo.InvariantCulture), 2e-4);
        }

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!;
        Assert.Equal("prob-diff", (string)json["metric"]!);
        Assert.Equal(clean.Data.Average(), (float)json["mean_clean_metric"]!, 1e-6);
    }

    [Fact]
    public void AcronymsWritesOneHeadMapPerLetterAndTheirMean()
    {
        string run = Run("acronyms", "--n", "4", "--seed", "2");
        var rows = Rows(Path.Combine(run, "pairs.jsonl")).Select(r => AcronymPair.FromJson(r)!).ToList();
        Assert.Equal(12, rows.Count);
        var patched = NpyFile.Read(Path.Combine(run, "patching", "head-z.npy"));
        var clean = NpyFile.Read(Path.Combine(run, "patching", "clean_metric.npy"));
        var corrupt = NpyFile.Read(Path.Combine(run, "patching", "corrupt_metric.npy"));
        var maps = new List<Tensor>();
        for (int step = 1; step <= 3; step++)
        {
            var map = NpyFile.Read(Path.Combine(run, $"head-z_step{step}_normalized_mean.npy"));
            Assert.Equal([3, 4], map.Shape);
            var idx = Enumerable.Range(0, rows.Count).Where(i => rows[i].Step == step && !PatchingResult.IsDegenerate(clean[i], corrupt[i])).ToList();
            Assert.Equal(4, Enumerable.Range(0, rows.Count).Count(i => rows[i].Step == step));
            double c = idx.Average(i => clean[i]), k = idx.Average(i => corrupt[i]);
            for (int l = 0; l < 3; l++)
                for (int h = 0; h < 4; h++)
                    Assert.Equal((idx.Average(i => patched[i, l, h]) - k) / (c - k), map[l, h], 1e-4);
            maps.Add(map);
        }
        var mean = NpyFile.Read(Path.Combine(run, "head-z_steps_mean_normalized_mean.npy"));
        for (int i = 0; i < mean.Length; i++) Assert.Equal(maps.Average(m => m.Data[i]), mean.Data[i], 1e-6);
        Assert.True(File.Exists(Path.Combine(run, "head-z-by-step.png")));
    }

    [Fact]
    public void InductionWritesTheLossByPositionAndAttentionScores()
    {
        string run = Run("induction", "--n", "3", "--length", "6");
        var model = TinyGpt2.Model;
        var rows = Rows(Path.Combine(run, "pairs.jsonl")).Select(r => InductionPair.FromJson(r)!).ToList();
        Assert.All(rows, r => Assert.Equal(6, r.BlockLength));

        var loss = NpyFile.Read(Path.Combine(run, "loss_by_position.npy"));
        Assert.Equal([11], loss.Shape);
        var induction = NpyFile.Read(Path.Combine(run, "induction_scores.npy"));
        var expectedLoss = new double[11];
        double expectedScore = 0;   // head 1.2's induction score
        foreach (var r in rows)
        {
            int[] ids = [50256, .. r.RepeatedIds];
            var (result, cache) = model.RunWithCache(TokenBatch.Single(ids), n => n == "blocks.1.attn.hook_pattern");
            for (int t = 0; t < 11; t++)
            {
                var logits = result.Logits!.Slice(0, t + 1).ToArray().Select(v => (double)v).ToArray();
                double max = logits.Max(), lse = max + Math.Log(logits.Sum(v => Math.Exp(v - max)));
                expectedLoss[t] += (lse - logits[r.RepeatedIds[t + 1]]) / rows.Count;
            }
            var pattern = cache["blocks.1.attn.hook_pattern"];
            expectedScore += Enumerable.Range(6, 6).Average(q => pattern[0, 2, q + 1, q + 1 - 5]) / rows.Count;
        }
        for (int t = 0; t < 11; t++) Assert.Equal(expectedLoss[t], loss[t], 1e-3);
        Assert.Equal(expectedScore, induction[1, 2], 1e-5);
        Assert.True(File.Exists(Path.Combine(run, "loss-by-position.png")));
        Assert.True(File.Exists(Path.Combine(run, "loss-by-position.svg")));
        Assert.Equal([3, 3, 4], NpyFile.Read(Path.Combine(run, "patching", "head-z.npy")).Shape);
    }

    [Fact]
    public void AcronymsKeepOnlyWholeAcronymsThroughTheFilter()
    {
        // sign filter on the random model: a few letters happen to win; an acronym is kept only when all three do
        var result = CliRunner.Run("acronyms", "--model", CliFixture.Model, "--filter", "sign", "--n", "12", "--runs-dir", _dir);
        string run = Assert.Single(Directory.GetDirectories(_dir));
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "filter_model.json")))!;
        var rows = Rows(Path.Combine(run, "pairs.jsonl")).Select(r => AcronymPair.FromJson(r)!).ToList();
        var verdicts = report["rows"]!.AsArray().Select(v => (Row: (int)v!["row"]!, Kept: (bool)v["kept"]!, Reason: (string?)v["reason"], Clean: (float)v["clean_metric"]!)).ToList();
        Assert.Equal(36, verdicts.Count);
        foreach (var group in verdicts.GroupBy(v => rows[v.Row - 1].Group))
        {
            bool allPositive = group.All(v => v.Clean > 0);
            Assert.All(group, v => Assert.Equal(allPositive, v.Kept));
            foreach (var v in group.Where(v => !v.Kept))
                Assert.Equal(v.Clean > 0 ? "another_row_of_the_group_wrong" : "clean_metric_not_positive", v.Reason);
        }
        Assert.Contains(verdicts, v => v.Reason == "another_row_of_the_group_wrong");
        int kept = verdicts.Count(v => v.Kept);
        Assert.Equal(kept, Rows(Path.Combine(run, "kept.jsonl")).Count);
        if (kept == 0) CliRunner.AssertUserError(result, "empty after the correctness filter");
        else Assert.Equal(0, result.Exit);
    }

    [Fact]
    public void BadOptionsAreUserErrors()
    {
        CliRunner.AssertUserError(CliRunner.Run("greater-than", "--model", CliFixture.Model, "--n", "0", "--runs-dir", _dir), "--n");
        CliRunner.AssertUserError(CliRunner.Run("induction", "--model", CliFixture.Model, "--length", "1", "--filter", "none", "--runs-dir", _dir), "block length");
        Assert.Equal(1, CliRunner.Run("acronyms", "--model", CliFixture.Model, "--filter", "maybe").Exit);
    }
}
