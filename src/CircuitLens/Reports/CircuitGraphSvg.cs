// Draws a circuit graph as a standalone SVG: nodes on a grid (one row per layer, the input on top and
// the logits at the bottom; heads by index, the MLP in the last column), coloured by class, and edges
// as lines whose width follows |score| (blue: the corrupted value lowers the metric; red: raises it).
// Plain data in, text out: it knows no engine.
using System.Globalization;
using System.Net;
using System.Text;

namespace CircuitLens.Reports;

/// <summary>A node at (row, column) of the grid, with its label and class (null = unclassified).</summary>
public sealed record GraphNodeView(string Id, string Label, int Row, int Column, string? Class);

public sealed record GraphEdgeView(string From, string To, double Score);

public static class CircuitGraphSvg
{
    private static readonly string[] s_classColors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7"];

    public static string Render(string title, IReadOnlyList<GraphNodeView> nodes, IReadOnlyList<GraphEdgeView> edges)
    {
        var ci = CultureInfo.InvariantCulture;
        int rows = nodes.Count == 0 ? 1 : nodes.Max(n => n.Row) + 1, cols = nodes.Count == 0 ? 1 : nodes.Max(n => n.Column) + 1;
        const int dx = 64, dy = 70, margin = 50, radius = 17;
        int width = Math.Max(360, margin * 2 + (cols - 1) * dx + 160), height = margin * 2 + (rows - 1) * dy + 30;
        var at = nodes.ToDictionary(n => n.Id, n => (X: margin + n.Column * dx, Y: margin + 20 + n.Row * dy));
        var classes = nodes.Select(n => n.Class).Where(c => c is not null).Distinct().ToList();
        string Color(string? cls) => cls is null ? "#d0d0d0" : s_classColors[classes.IndexOf(cls) % s_classColors.Length];
        double max = edges.Count == 0 ? 1 : Math.Max(1e-12, edges.Max(e => Math.Abs(e.Score)));

        var sb = new StringBuilder();
        sb.Append(ci, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">\n");
        sb.Append(ci, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n<text x=\"{margin}\" y=\"24\" font-size=\"15\">{WebUtility.HtmlEncode(title)}</text>\n");
        foreach (var e in edges)
        {
            if (!at.TryGetValue(e.From, out var a) || !at.TryGetValue(e.To, out var b)) continue;
            double w = 0.8 + 5 * Math.Abs(e.Score) / max;
            string stroke = e.Score < 0 ? "#2166ac" : "#b2182b";
            sb.Append(ci, $"<line x1=\"{a.X}\" y1=\"{a.Y}\" x2=\"{b.X}\" y2=\"{b.Y}\" stroke=\"{stroke}\" stroke-width=\"{w:F2}\" stroke-opacity=\"0.75\"><title>{WebUtility.HtmlEncode($"{e.From} → {e.To}: {e.Score.ToString("G4", ci)}")}</title></line>\n");
        }
        foreach (var n in nodes)
        {
            var (x, y) = at[n.Id];
            sb.Append(ci, $"<circle cx=\"{x}\" cy=\"{y}\" r=\"{radius}\" fill=\"{Color(n.Class)}\" stroke=\"#333\"><title>{WebUtility.HtmlEncode(n.Class is null ? n.Label : $"{n.Label} ({n.Class})")}</title></circle>\n");
            sb.Append(ci, $"<text x=\"{x}\" y=\"{y + 4}\" font-size=\"10\" text-anchor=\"middle\">{WebUtility.HtmlEncode(n.Label)}</text>\n");
        }
        int ly = margin + 20;
        foreach (var cls in classes)
        {
            int lx = width - 150;
            sb.Append(ci, $"<rect x=\"{lx}\" y=\"{ly - 10}\" width=\"12\" height=\"12\" fill=\"{Color(cls)}\"/><text x=\"{lx + 18}\" y=\"{ly}\" font-size=\"11\">{WebUtility.HtmlEncode(cls!)}</text>\n");
            ly += 18;
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }
}
