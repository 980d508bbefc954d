// The self-contained report.html of a patching run: what was run, dataset and filter statistics,
// every map (hover for values, click a head for its attention pattern), the strongest heads in both
// directions (with their IOI class when the caller marks IOI heads), the attention-pattern viewer over
// the caller's examples, and exact-vs-attribution agreement when both ran.
using System.Globalization;
using CircuitLens.Patching;

namespace CircuitLens.Reports;

public sealed class PatchingReportInput
{
    public required string Title { get; init; }
    public required PatchingFigureContext Context { get; init; }
    public required IReadOnlyList<(string Key, string Value)> RunInfo { get; init; }
    /// <summary>Extra tables (dataset, format filter, correctness filter statistics): heading, header, rows.</summary>
    public IReadOnlyList<(string Heading, string[] Header, IReadOnlyList<string[]> Rows)> Tables { get; init; } = [];
    public required IReadOnlyList<PatchingResult> Results { get; init; }
    public IReadOnlyList<PatchingResult> Attribution { get; init; } = [];
    public IReadOnlyList<SweepAgreement> Agreement { get; init; } = [];
    /// <summary>Examples for the attention-pattern viewer: every head's pattern on each (see AttentionExample).</summary>
    public IReadOnlyList<AttentionExample> Attention { get; init; } = [];
    public float[] CleanLogitDiff => Results.Count > 0 ? Results[0].CleanMetric : Attribution[0].CleanMetric;
    public float[] CorruptLogitDiff => Results.Count > 0 ? Results[0].CorruptMetric : Attribution[0].CorruptMetric;
    /// <summary>The metric's name ("logit-diff", "prob-diff", ...).</summary>
    public string Metric => Results.Count > 0 ? Results[0].Metric : Attribution[0].Metric;
}

public static class PatchingReport
{
    public static string Render(PatchingReportInput input)
    {
        var report = new HtmlReport(input.Title);
        report.AddParagraph("Activation patching: each corrupted prompt is run with one component's activation replaced by its value from the example's own clean run. "
            + "Score = (patched − corrupted) / (clean − corrupted) of the logit difference logit(answer) − logit(wrong) at the last position: "
            + "0 = no effect, 1 = fully restored (blue), negative = pushes the wrong way (red). Maps show the batch mean in TransformerLens' form "
            + "(mean patched − mean corrupted) / (mean clean − mean corrupted); per-example scores are in the .npy files. "
            + "Every map uses the same colour range, −1..1, widened only when a score exceeds it.");
        if (input.Results.Count == 0)
            report.AddParagraph("Only attribution patching ran: its maps are a first-order (gradient) estimate of the activation-patching scores, not exact patching.");
        report.AddKeyValues("Run", input.RunInfo.Concat(Baselines(input)));
        foreach (var (heading, header, rows) in input.Tables) report.AddTable(heading, header, rows);

        var primary = input.Results.Count > 0 ? input.Results : input.Attribution;
        string method = input.Results.Count > 0 ? input.Context.Method : "attribution";
        var ctx = input.Context with { Method = method };
        report.AddSection("Maps");
        var heads = PatchingFigures.HeadMaps(primary, ctx);
        if (heads.Count > 1)
            report.AddHeatmapGrid(heads, PatchingFigures.HeadsEveryTitle(ctx),
                heads[0].Marks is not null ? "Outlined cells: the heads the IOI paper reports for GPT-2 small (legend below each map)." : null);
        foreach (var r in primary) report.AddHeatmap(PatchingFigures.For(r, ctx));

        IReadOnlyList<RankedHead> top = [];
        if (primary.FirstOrDefault(r => r.Sweep == Sweep.HeadZ) is { } z)
        {
            top = TopHeads(z, 10, ctx.MarkIoiHeads);
            bool classes = top.Any(h => h.Class.Length > 0);
            string[] header = classes ? ["rank", "head", "score", "direction", "IOI paper class"] : ["rank", "head", "score", "direction"];
            report.AddTable($"Strongest heads (head output z, batch-mean normalised score; |score| < {NoEffect.ToString(CultureInfo.InvariantCulture)} is no effect)", header,
                top.Select((h, i) =>
                {
                    string[] row = [(i + 1).ToString(CultureInfo.InvariantCulture), h.Head, LabelText.Signed(h.Score), Direction(h.Score)];
                    return classes ? [.. row, h.Class] : row;
                }).ToList());
        }

        if (input.Attention.Count > 0)
        {
            report.AddSection("Attention patterns");
            var strongest = top.Where(h => Math.Abs(h.Score) >= NoEffect).Select(h => (h.Layer, h.HeadIndex, $"{h.Head} ({LabelText.Signed(h.Score)})")).ToList();
            report.AddAttentionViewer(input.Attention, strongest);
        }

        if (input.Attribution.Count > 0 && input.Results.Count > 0)
        {
            report.AddSection("Attribution patching vs exact patching");
            report.AddTable("Agreement", ["sweep", "correlation (per example)", "correlation (mean map)"],
                input.Agreement.Select(a => new[] { a.Sweep, F(a.PerExampleCorrelation), F(a.MeanMapCorrelation) }).ToList());
            report.AddTable("Largest disagreements (normalised mean)", ["sweep", "component", "exact", "attribution"],
                input.Agreement.SelectMany(a => a.LargestDisagreements.Take(5)).Select(d => new[] { d.Sweep, d.Component, F(d.Exact), F(d.Attribution) }).ToList());
            var attrCtx = input.Context with { Method = "attribution" };
            var attrHeads = PatchingFigures.HeadMaps(input.Attribution, attrCtx);
            if (attrHeads.Count > 1) report.AddHeatmapGrid(attrHeads, PatchingFigures.HeadsEveryTitle(attrCtx));
            foreach (var r in input.Attribution.Where(r => r.Sweep.Axes != SweepAxes.LayerHead)) report.AddHeatmap(PatchingFigures.For(r, attrCtx));
        }
        return report.Render();
    }

    public static void Save(string path, PatchingReportInput input) => ReportFiles.WriteAtomic(path, Render(input));

    public sealed record RankedHead(string Head, int Layer, int HeadIndex, float Score, string Class);

    /// <summary>Below this |normalised score| (1% of the clean-corrupted gap) a head is reported as "no effect".</summary>
    public const float NoEffect = 0.01f;

    public static string Direction(float score) =>
        Math.Abs(score) < NoEffect ? "no effect" : score > 0 ? "restores (positive)" : "hurts (negative)";

    /// <summary>The <paramref name="count"/> heads with the largest |batch-mean normalised score|; IOI classes only when asked and the model has 12×12 heads.</summary>
    public static IReadOnlyList<RankedHead> TopHeads(PatchingResult headResult, int count, bool ioiClasses = true)
    {
        var mean = headResult.NormalizedMean();
        int L = mean.Dim(0), H = mean.Dim(1);
        bool ioi = ioiClasses && L == 12 && H == 12;
        return Enumerable.Range(0, L * H)
            .Where(i => !float.IsNaN(mean.Data[i]))
            .OrderByDescending(i => Math.Abs(mean.Data[i]))
            .Take(count)
            .Select(i => new RankedHead($"{i / H}.{i % H}", i / H, i % H, mean.Data[i],
                ioi && HeadClass.IoiPaperHeads.TryGetValue((i / H, i % H), out var tag) ? HeadClass.Describe(tag) : ""))
            .ToList();
    }

    private static IEnumerable<(string, string)> Baselines(PatchingReportInput input)
    {
        string metric = input.Metric == "logit-diff" ? "logit diff" : input.Metric;
        yield return ($"mean clean {metric}", input.CleanLogitDiff.Average().ToString("F4", CultureInfo.InvariantCulture));
        yield return ($"mean corrupted {metric}", input.CorruptLogitDiff.Average().ToString("F4", CultureInfo.InvariantCulture));
    }

    private static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F3", CultureInfo.InvariantCulture);
}
