// Turns one heatmap, or several side by side, into a FigureSpec: the figure title and subtitle,
// one panel per map (row labels only where they differ from the panel to the left), one colour bar
// for a shared scale or one per map, and notes explaining mark tags and grey NaN cells.
namespace CircuitLens.Reports;

internal static class HeatmapFigures
{
    public static FigureSpec Single(Heatmap map)
    {
        map.Validate();
        var colors = ColorMapping.For(map.Scale, map.Limit, [map.Values]);
        var panel = HeatmapPlot.Panel(map, colors, colorBar: true, rowLabels: true, panelTitle: false);
        return new FigureSpec(map.Title, map.Subtitle, [panel], 1) { Notes = HeatmapPlot.Notes([map]) };
    }

    public static FigureSpec Grid(IReadOnlyList<Heatmap> maps, string title, int columns, bool sharedScale)
    {
        if (maps.Count == 0) throw new CircuitLensException($"heatmap grid '{title}' has no maps");
        foreach (var m in maps) m.Validate();
        columns = Math.Clamp(columns, 1, maps.Count);
        var shared = sharedScale ? ColorMapping.Shared(maps) : null;
        float baseCell = columns >= 4 ? 20 : columns >= 2 ? 24 : 30;
        var panels = new List<FigurePanel>();
        for (int i = 0; i < maps.Count; i++)
        {
            bool firstInRow = i % columns == 0;
            bool sameRows = maps[i].RowLabels.SequenceEqual(maps[0].RowLabels) && maps[i].RowAxisTitle == maps[0].RowAxisTitle;
            bool lastInRow = i % columns == columns - 1 || i == maps.Count - 1;
            var colors = shared ?? ColorMapping.For(maps[i].Scale, maps[i].Limit, [maps[i].Values]);
            panels.Add(HeatmapPlot.Panel(maps[i], colors, colorBar: shared is null || lastInRow, rowLabels: firstInRow || !sameRows, panelTitle: true, baseCell));
        }
        var subtitles = maps.Select(m => m.Subtitle).Distinct().ToList();
        return new FigureSpec(title, subtitles.Count == 1 ? subtitles[0] : null, panels, columns) { Notes = HeatmapPlot.Notes(maps) };
    }
}
