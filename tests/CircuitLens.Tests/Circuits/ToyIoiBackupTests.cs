// Backup name movers on the planted model that has one (toy ioi-backup: 3.0 stays silent while the name
// mover 2.0 has said IO, and copies IO itself when 2.0 is gone): the knock-out of the found name mover
// makes 3.0's direct effect grow and the classifier calls it a backup name mover, while path patching in
// the intact model gives it (nearly) nothing; the toy without a backup head gets no backup name mover;
// and the direct effects add up, with the embeddings', to the logit difference, with or without a knock-out.
using CircuitLens.Circuits;
using CircuitLens.Patching;
using CircuitLens.Tasks.Circuits;
using CircuitLens.Tasks.Ioi;
using Xunit.Abstractions;

namespace CircuitLens.Tests.Circuits;

public sealed class ToyIoiBackupTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-toybackup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private IoiCircuitAnalysisResult Analyse(string kind)
    {
        var model = ToyTask.Build(kind).ToModel();
        var pairs = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 12, Seed = 3 }).Pairs;
        var result = IoiCircuitAnalysis.Run(model, pairs, Path.Combine(_dir, kind), new IoiCircuitAnalysisOptions { Seed = 1, Check = new CircuitCheckOptions { RandomSubsets = 0, GreedySteps = 0 } });
        var m = result.Measurements;
        output.WriteLine($"{kind}: " + string.Join(", ", result.Classes.Select(kv => $"{kv.Key}={kv.Value}")));
        for (int l = 0; l < m.Layers; l++)
            output.WriteLine($"  layer {l}: path→logits {string.Join(" ", Enumerable.Range(0, m.Heads).Select(h => m.ToLogits[l, h].ToString("F3")))}"
                + $"  knock-out growth {string.Join(" ", Enumerable.Range(0, m.Heads).Select(h => m.KnockoutDirectEffect?[l, h].ToString("F3") ?? "-"))}");
        return result;
    }

    [Fact]
    public void TheKnockOutFindsThePlantedBackupNameMover()
    {
        var result = Analyse("ioi-backup");
        var m = result.Measurements;
        Assert.Equal([new HeadId(2, 0)], m.KnockedOut);
        Assert.Equal(IoiHeadClassifier.NameMover, result.Classes[new HeadId(2, 0)]);
        Assert.Equal(IoiHeadClassifier.BackupNameMover, result.Classes[new HeadId(3, 0)]);
        Assert.Equal(IoiHeadClassifier.SInhibition, result.Classes[new HeadId(1, 0)]);
        Assert.Single(result.Classes, kv => kv.Value == IoiHeadClassifier.BackupNameMover);
        Assert.True(float.IsNaN(m.KnockoutDirectEffect![2, 0]), "the knocked-out head has no growth of its own");
        // it takes over a large part of the role: its direct effect grows by more than a quarter of the clean − corrupted gap ...
        Assert.True(m.KnockoutDirectEffect[3, 0] > 0.25f, $"growth {m.KnockoutDirectEffect[3, 0]}");
        // ... while in the intact model its direct path is small next to the name mover's
        Assert.True(Math.Abs(m.ToLogits[3, 0]) < 0.25f * Math.Abs(m.ToLogits[2, 0]), $"path → logits: 3.0 {m.ToLogits[3, 0]}, 2.0 {m.ToLogits[2, 0]}");
        string classes = File.ReadAllText(Path.Combine(_dir, "ioi-backup", "circuit", "classes.json"));
        Assert.Contains("\"knocked_out\": [\n    \"2.0\"\n  ]", classes);
        Assert.Contains("knockout_direct_effect_growth", classes);
    }

    [Fact]
    public void WithoutABackupHeadNoneIsFound()
    {
        var result = Analyse("ioi");
        Assert.Equal([new HeadId(2, 0)], result.Measurements.KnockedOut);
        Assert.DoesNotContain(result.Classes, kv => kv.Value == IoiHeadClassifier.BackupNameMover);
    }

    [Fact]
    public void DirectEffectsAddUpToTheLogitDifference()
    {
        // the toy's MLPs and biases are zero, so the logit difference is exactly the embeddings' direct effect plus every head's
        var model = ToyTask.Build("ioi").ToModel();
        var pairs = IoiDatasetGenerator.Generate(new IoiDatasetOptions { N = 6, Seed = 3 }).Pairs;
        var data = new IoiTokenizedPairs(model, pairs, prependBos: true, "pairs").ToPatchingBatch("pairs");
        var metric = (CircuitLens.Patching.Metrics.LogitDiffMetric)data.Metric;
        var wte = model.Weights.Read(model.Weights.TokenEmbedding).ToArray();
        int C = model.Config.DModel, T = data.SeqLen;
        (double LogitDiff, double Embeddings) Run(IEnumerable<CircuitLens.Hooks.NamedHook>? hooks)
        {
            var (result, cache) = model.RunWithCache(data.Clean, n => n is "blocks.0.hook_resid_pre" or "ln_final.hook_scale",
                new CircuitLens.Model.ForwardOptions { Logits = CircuitLens.Model.LogitsMode.LastPosition }, hooks);
            double embed = 0;
            for (int b = 0; b < data.Count; b++)
            {
                var x = cache["blocks.0.hook_resid_pre"].Slice(b, T - 1).ToArray();
                float mean = x.Average(), s = cache["ln_final.hook_scale"].Slice(b, T - 1)[0];
                for (int c = 0; c < C; c++) embed += (x[c] - mean) / s * (wte[metric.AnswerIds[b] * C + c] - wte[metric.WrongIds[b] * C + c]) / data.Count;
            }
            return (metric.FromLogits(result.Logits!).Average(x => (double)x), embed);
        }

        var effects = HeadDirectEffects.Measure(model, data);
        var (logitDiff, embeddings) = Run(null);
        output.WriteLine($"logit diff {logitDiff}, embeddings {embeddings}, heads {string.Join(" ", effects.Data)}");
        Assert.Equal(logitDiff, embeddings + effects.Data.Sum(x => (double)x), 3);
        Assert.True(effects[2, 0] > 1f, $"the name mover's direct effect {effects[2, 0]}");
        Assert.Equal(0f, effects[0, 1]);   // unused heads write nothing
        Assert.Equal(0f, effects[2, 1]);

        // under a (zero) knock-out of 2.0 it has no direct effect, and the sum still holds for the run with the knock-out
        var knockOut = new CircuitAblation(model, data, AblationKind.Zero).KnockOut([new HeadId(2, 0)]);
        var after = HeadDirectEffects.Measure(model, data, knockOut);
        var (knockedLogitDiff, knockedEmbeddings) = Run(knockOut);
        Assert.Equal(0f, after[2, 0], 5);
        Assert.Equal(knockedLogitDiff, knockedEmbeddings + after.Data.Sum(x => (double)x), 3);
        Assert.True(knockedLogitDiff < 0.2 * logitDiff, $"knocked out: {knockedLogitDiff}, intact {logitDiff}");
    }
}
