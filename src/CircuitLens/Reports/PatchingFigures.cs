// Turns patching results into heatmaps: batch-averaged normalised maps with layers down, heads or
// positions across, the diverging scale centred on 0 with the fixed range -1..1 (wider only when a
// value exceeds it), titled by method (exact patching or the attribution estimate), and the IOI
// paper's head classes marked when the caller asks and the model has GPT-2 small's 12×12 heads.
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Reports;

public sealed record PatchingFigureContext(string ModelName, bool PrependBos, int PairCount, string Method, string[]? PositionLabels, bool MarkIoiHeads);

public static class PatchingFigures
{
    public static string Subtitle(PatchingFigureContext ctx, string sweep) =>
        $"{ctx.ModelName} · {sweep} · {ctx.PairCount} pairs · {(ctx.PrependBos ? "BOS" : "no BOS")} · {ctx.Method} · batch mean (TransformerLens form)";

    /// <summary>Normalised scores: 0 = no effect, 1 = fully restored; every map uses at least this range.</summary>
    public const float NormalizedLimit = 1f;

    public static bool IsAttribution(PatchingFigureContext ctx) => ctx.Method == "attribution";

    /// <summary>"Activation patching: head-z (…)" or "Attribution patching (gradient estimate): head-z (…)".</summary>
    public static string Title(PatchingFigureContext ctx, Sweep sweep) =>
        $"{(IsAttribution(ctx) ? "Attribution patching (gradient estimate)" : "Activation patching")}: {sweep.Name} ({sweep.Description})";

    /// <summary>Title of the side-by-side figure of every head component.</summary>
    public static string HeadsEveryTitle(PatchingFigureContext ctx) =>
        $"{(IsAttribution(ctx) ? "Attribution estimate, every head component" : "Every head component")} · {Subtitle(ctx, "heads-every")}";

    public static Heatmap For(PatchingResult result, PatchingFigureContext ctx)
    {
        var mean = result.NormalizedMean();
        string title = Title(ctx, result.Sweep);
        var map = result.Sweep.Axes switch
        {
            SweepAxes.LayerHead => Heatmap.LayerHead(title, To2D(mean)) with { Marks = ctx.MarkIoiHeads && mean.Dim(0) == 12 && mean.Dim(1) == 12 ? HeadClass.IoiPaperHeads : null },
            SweepAxes.LayerPos => Heatmap.LayerPosition(title, To2D(mean), PositionLabels(ctx, mean.Dim(1))),
            SweepAxes.LayerNeuron => new Heatmap(title, To2D(mean), Heatmap.IndexLabels(mean.Dim(0)), Heatmap.IndexLabels(mean.Dim(1))) { ColumnAxisTitle = "neuron" },
            _ => HeadsByPosition(title, mean, ctx),
        };
        if (result.Sweep.Layers is { } layers && result.Sweep.Axes != SweepAxes.LayerPosHead)
            map = map with { RowLabels = layers.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray() };
        return map with { Subtitle = Subtitle(ctx, result.Sweep.Name), Annotate = map.Rows * map.Columns <= 64, Limit = NormalizedLimit };
    }

    // [layer, pos, head] → rows "L.H", columns positions
    private static Heatmap HeadsByPosition(string title, Tensor mean, PatchingFigureContext ctx)
    {
        int L = mean.Dim(0), P = mean.Dim(1), H = mean.Dim(2);
        var values = new float[L * H, P];
        var rows = new string[L * H];
        for (int l = 0; l < L; l++)
            for (int h = 0; h < H; h++)
            {
                rows[l * H + h] = $"{l}.{h}";
                for (int p = 0; p < P; p++) values[l * H + h, p] = mean[l, p, h];
            }
        return new Heatmap(title, values, rows, PositionLabels(ctx, P)) { RowAxisTitle = "layer.head", ColumnAxisTitle = "position", RowLabelStep = H };
    }

    private static string[] PositionLabels(PatchingFigureContext ctx, int count) =>
        ctx.PositionLabels is { } labels && labels.Length == count ? labels : Heatmap.IndexLabels(count);

    public static float[,] To2D(Tensor t)
    {
        var a = new float[t.Dim(0), t.Dim(1)];
        for (int i = 0; i < t.Dim(0); i++)
            for (int j = 0; j < t.Dim(1); j++)
                a[i, j] = t[i, j];
        return a;
    }

    /// <summary>Writes `<sweep>.svg` and `<sweep>.png` for every result, and `heads-every.svg/.png` when there are several head sweeps.</summary>
    public static IReadOnlyList<string> WriteAll(string dir, IReadOnlyList<PatchingResult> results, PatchingFigureContext ctx)
    {
        var written = new List<string>();
        foreach (var r in results)
        {
            var map = For(r, ctx);
            Write(Path.Combine(dir, r.Sweep.Name + ".svg"), HeatmapSvg.Render(map), written);
            Write(Path.Combine(dir, r.Sweep.Name + ".png"), HeatmapPng.Render(map), written);
        }
        var heads = HeadMaps(results, ctx);
        if (heads.Count > 1)
        {
            string title = HeadsEveryTitle(ctx);
            Write(Path.Combine(dir, "heads-every.svg"), HeatmapSvg.RenderGrid(heads, title), written);
            Write(Path.Combine(dir, "heads-every.png"), HeatmapPng.RenderGrid(heads, title), written);
        }
        return written;
    }

    /// <summary>The [layer, head] maps, titled by component only (for side-by-side figures).</summary>
    public static List<Heatmap> HeadMaps(IReadOnlyList<PatchingResult> results, PatchingFigureContext ctx) =>
        results.Where(r => r.Sweep.Axes == SweepAxes.LayerHead)
            .Select(r => For(r, ctx) with { Title = r.Sweep.Name.Replace("head-", "") switch { "z" => "output (z)", var s => s }, Subtitle = null })
            .ToList();

    private static void Write(string path, string text, List<string> written) { ReportFiles.WriteAtomic(path, text); written.Add(path); }
    private static void Write(string path, byte[] bytes, List<string> written) { ReportFiles.WriteAtomic(path, bytes); written.Add(path); }
}
