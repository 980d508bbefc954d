// `circuitlens induction` as a library call: generate repeated random word tokens → correctness
// filter → patch every head's z (logit-diff: the induction answer against the token the corrupted
// first copy implies) → induction and previous-token scores from the attention patterns, and the loss
// by position over the repeated sequence (first vs second copy) → report.html. It is the worked
// example of adding a task: a dataset class (InductionDatasetGenerator) and a metric choice
// (logit-diff); the engines are used as they are.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Reports;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Induction;

public sealed record InductionExperimentResult(string ReportPath, Tensor HeadZ, RepeatedSequenceAnalysis Analysis, float MeanCleanLogitDiff, float MeanCorruptLogitDiff)
{
    public IReadOnlyList<(string Name, float Score)> TopHeads => ExperimentSteps.RankHeads(HeadZ);
}

public static class InductionExperiment
{
    public static IReadOnlyList<Sweep> Sweeps { get; } = [Sweep.HeadZ];

    /// <param name="length">Tokens in the repeated random block.</param>
    public static InductionExperimentResult Run(HookedTransformer model, ExperimentOptions options, int length = 20, CancellationToken ct = default)
    {
        var run = new TaskExperimentRun(model, options, "induction");
        var generated = InductionDatasetGenerator.Generate(new InductionDatasetOptions { N = options.N, Seed = options.Seed, Length = length, Tokenizer = model.Tokenizer });
        var (pairs, rows) = run.Dataset(generated.Select(p => p.ToJson()), $"rows (block of {length} random word tokens, repeated)", InductionPair.FromJson, "an induction row", ct: ct);

        var job = run.Patch(pairs, Sweeps, "rows", ct);
        var headZ = job.Primary[0];

        options.Log("[4/4] induction scores, loss by position and report");
        var analysis = RepeatedSequenceAnalysis.Compute(model, rows, options.PrependBos, ct: ct);
        WriteAnalysis(run, analysis);

        var headMap = run.Map(headZ, job, pairs.Count);
        var scoreMaps = new[]
        {
            Heatmap.LayerHead("induction score", PatchingFigures.To2D(analysis.InductionScores)) with { Scale = ColorScale.Sequential, Limit = 1f, ValueLabel = "attention" },
            Heatmap.LayerHead("previous-token score", PatchingFigures.To2D(analysis.PreviousTokenScores)) with { Scale = ColorScale.Sequential, Limit = 1f, ValueLabel = "attention" },
        };
        string scoreTitle = $"Attention to offset L − 1 (induction) and 1 (previous token) · {run.ModelName} · {rows.Count} sequences of 2 × {length}";
        run.WriteFigure("attention-scores", scoreMaps, scoreTitle);
        var lossPlot = LossPlot(analysis, run.ModelName, rows.Count);
        run.Files.AddRange(LossByPositionFigure.Write(Path.Combine(run.Dir, "loss-by-position"), lossPlot));

        var report = run.NewReport($"Induction (Olsson et al. 2022): a block of {length} random word tokens followed by the block again. In the second copy the next token is the one that followed "
            + "the current token's earlier occurrence. Metric: logit(that token) − logit(the token the corrupted first copy puts there). Maps: each head's z patched from the clean run into the corrupted one, "
            + "(patched − corrupted)/(clean − corrupted), batch means.");
        run.AddRunFacts(report, "rows", pairs.Count, [
            ("mean clean logit diff", F(job.CleanMetric.Average())), ("mean corrupted logit diff", F(job.CorruptMetric.Average())),
            ("mean loss, first copy", F(analysis.FirstHalfLoss)), ("mean loss, second copy", F(analysis.SecondHalfLoss)),
        ]);
        report.AddHeatmap(headMap, "Each head's z patched from the clean run into the corrupted run, all positions.");
        report.AddTable("Strongest heads (patching)", ["head", "normalised score"], ExperimentSteps.RankHeads(headZ.NormalizedMean()).Take(8).Select(h => new[] { h.Name, F(h.Score) }));
        report.AddHeatmapGrid(scoreMaps, scoreTitle);
        report.AddTable("Strongest induction heads (attention)", ["head", "induction score"], ExperimentSteps.RankHeads(analysis.InductionScores).Take(8).Select(h => new[] { h.Name, F(h.Score) }));
        LossByPositionFigure.AddTo(report, lossPlot, "Loss of each next-token prediction over the repeated sequence, by position in the block: the second copy is predictable by copying.");

        string reportPath = run.Finish(report, pairs, job, new JsonObject
        {
            ["block_length"] = length,
            ["mean_loss_first_copy"] = analysis.FirstHalfLoss,
            ["mean_loss_second_copy"] = analysis.SecondHalfLoss,
            ["top_induction_heads"] = TaskExperimentRun.HeadsJson(analysis.InductionScores, 8),
            ["top_patching_heads"] = TaskExperimentRun.HeadsJson(headZ.NormalizedMean(), 8),
        });
        return new InductionExperimentResult(reportPath, headZ.NormalizedMean(), analysis, job.CleanMetric.Average(), job.CorruptMetric.Average());
    }

    // x = position in the block (1..L−1); one line per copy
    private static LossByPosition LossPlot(RepeatedSequenceAnalysis a, string modelName, int sequences)
    {
        int L = a.BlockLength;
        var first = a.LossByPosition[..(L - 1)];
        var second = a.LossByPosition[L..];
        return new LossByPosition($"Loss by position on repeated random tokens · {modelName} · {sequences} sequences", L, first, second);
    }

    private static void WriteAnalysis(TaskExperimentRun run, RepeatedSequenceAnalysis a)
    {
        run.WriteNpy("loss_by_position", new Tensor(a.LossByPosition, a.LossByPosition.Length));
        run.WriteNpy("induction_scores", a.InductionScores);
        run.WriteNpy("previous_token_scores", a.PreviousTokenScores);
        var csv = new StringBuilder("position,token_of_block,copy,loss\n");
        for (int t = 0; t < a.LossByPosition.Length; t++)
        {
            int predicted = t + 1;   // the token being predicted, in B B
            csv.Append(CultureInfo.InvariantCulture, $"{t},{predicted % a.BlockLength},{(predicted < a.BlockLength ? 1 : 2)},{a.LossByPosition[t].ToString("G7", CultureInfo.InvariantCulture)}\n");
        }
        run.WriteText("loss_by_position.csv", csv.ToString());
    }

    private static string F(double v) => TaskExperimentRun.Number(v);
}
