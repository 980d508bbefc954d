// A self-contained HTML report: inline CSS, inline SVG figures, a few lines of inline script for a
// hover tooltip. Nothing is fetched, so the file opens offline and can be mailed as one file.
// Built fluently (AddParagraph, AddTable, AddHeatmap, ...) and written atomically by Save.
// It does not paginate, number figures, or embed PNGs.
using System.Globalization;
using System.Net;
using System.Text;

namespace CircuitLens.Reports;

public sealed class HtmlReport
{
    readonly string title;
    readonly StringBuilder body = new();
    int figures;

    public HtmlReport(string title) => this.title = title;

    public HtmlReport AddSection(string heading)
    {
        body.Append("<h2>").Append(Enc(heading)).Append("</h2>\n");
        return this;
    }

    public HtmlReport AddParagraph(string text)
    {
        body.Append("<p>").Append(Enc(text)).Append("</p>\n");
        return this;
    }

    public HtmlReport AddKeyValues(string heading, IEnumerable<(string Key, string Value)> rows)
    {
        body.Append("<h3>").Append(Enc(heading)).Append("</h3>\n<table class=\"kv\">\n");
        foreach (var (k, v) in rows)
            body.Append("<tr><th>").Append(Enc(k)).Append("</th><td>").Append(Enc(v)).Append("</td></tr>\n");
        body.Append("</table>\n");
        return this;
    }

    /// <summary>A plain table, e.g. top heads or filter reasons; cells that parse as numbers are right-aligned.</summary>
    public HtmlReport AddTable(string heading, string[] header, IEnumerable<string[]> rows)
    {
        body.Append("<h3>").Append(Enc(heading)).Append("</h3>\n<table class=\"data\">\n<thead><tr>");
        foreach (var h in header) body.Append("<th>").Append(Enc(h)).Append("</th>");
        body.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            body.Append("<tr>");
            foreach (var cell in row)
            {
                bool number = double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
                body.Append(number ? "<td class=\"num\">" : "<td>").Append(Enc(cell)).Append("</td>");
            }
            body.Append("</tr>\n");
        }
        body.Append("</tbody></table>\n");
        return this;
    }

    public HtmlReport AddHeatmap(Heatmap map, string? caption = null) =>
        AddFigure(InlineHeatmapSvg.Render(map, NextId(), standalone: false), caption);

    public HtmlReport AddHeatmapGrid(IReadOnlyList<Heatmap> maps, string title, string? caption = null) =>
        AddFigure(InlineHeatmapSvg.RenderGrid(maps, title, columns: 5, sharedScale: true, NextId(), standalone: false), caption);

    /// <summary>An SVG figure drawn elsewhere (e.g. a task's line plot), inline.</summary>
    public HtmlReport AddSvg(string svg, string? caption = null) => AddFigure(svg, caption);

    public string Render()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Enc(title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n")
            .Append("<h1>").Append(Enc(title)).Append("</h1>\n")
            .Append(body)
            .Append("<div id=\"tip\" role=\"tooltip\"></div>\n<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    public void Save(string path) => ReportFiles.WriteAtomic(path, Render());

    HtmlReport AddFigure(string svg, string? caption)
    {
        body.Append("<figure>\n").Append(svg);
        if (caption is not null) body.Append("<figcaption>").Append(Enc(caption)).Append("</figcaption>\n");
        body.Append("</figure>\n");
        return this;
    }

    string NextId() => string.Create(CultureInfo.InvariantCulture, $"f{++figures}-");

    static string Enc(string s) => WebUtility.HtmlEncode(s);

    const string Css = """
        body { font-family: system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif; color: #222; margin: 24px auto; max-width: 1400px; padding: 0 16px; line-height: 1.45; }
        h1 { font-size: 1.6em; margin-bottom: 0.3em; }
        h2 { font-size: 1.3em; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 1.8em; }
        h3 { font-size: 1.05em; margin-bottom: 0.4em; }
        table { border-collapse: collapse; font-size: 0.92em; margin-bottom: 1em; }
        th, td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
        table.data thead th { border-bottom: 2px solid #bbb; background: #f6f6f6; }
        table.kv th { font-weight: 600; color: #444; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; }
        figure { margin: 1em 0 1.6em 0; overflow-x: auto; }
        figure svg { display: block; max-width: none; }
        figcaption { color: #555; font-size: 0.92em; margin-top: 4px; max-width: 60em; }
        svg rect.cell:hover { stroke: #000; stroke-width: 1.5; }
        #tip { position: fixed; display: none; pointer-events: none; background: rgba(20,20,20,0.9); color: #fff; padding: 3px 7px; border-radius: 3px; font: 12px 'DejaVu Sans Mono', Menlo, Consolas, monospace; white-space: pre; z-index: 10; }

        """;

    // Shows a cell's <title> text next to the pointer at once (the browser's own tooltip is slow).
    const string Script = """
        (function () {
          var tip = document.getElementById('tip');
          document.addEventListener('mousemove', function (e) {
            var cell = e.target.closest ? e.target.closest('rect.cell') : null;
            var t = cell ? cell.querySelector('title') : null;
            if (!t) { tip.style.display = 'none'; return; }
            tip.textContent = t.textContent;
            tip.style.left = (e.clientX + 14) + 'px';
            tip.style.top = (e.clientY + 14) + 'px';
            tip.style.display = 'block';
          });
        })();

        """;
}
