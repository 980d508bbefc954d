// A self-contained HTML report: inline CSS, inline SVG figures, inline data and script. Nothing is
// fetched, so the file opens offline and can be mailed as one file. The script shows a cell's value
// next to the pointer, and, when the report carries attention patterns (AddAttentionViewer), opens
// the pattern of any head a reader clicks, for a chosen example, as a token × token grid.
// Built fluently (AddParagraph, AddTable, AddHeatmap, ...) and written atomically by Save.
// It does not paginate, number figures, or embed PNGs.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace CircuitLens.Reports;

public sealed class HtmlReport
{
    readonly string title;
    readonly StringBuilder body = new();
    int figures;
    string? attentionJson;

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

    /// <summary>Inline SVG of a line plot (ScottPlot), not interactive.</summary>
    public HtmlReport AddLinePlot(LinePlot plot, string? caption = null)
    {
        string svg = LinePlotSvg.Render(plot);
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);   // drop the XML declaration
        return AddFigure(svg[start..], caption);
    }

    /// <summary>
    /// Makes every head cell (and every head button) open that head's attention pattern on a chosen
    /// example. Call once; heads lists (layer, head, label) buttons to show here, e.g. the strongest heads.
    /// </summary>
    public HtmlReport AddAttentionViewer(IReadOnlyList<AttentionExample> examples, IReadOnlyList<(int Layer, int Head, string Label)>? heads = null)
    {
        if (attentionJson is not null) throw new InvalidOperationException("AddAttentionViewer was already called");
        if (examples.Count == 0) throw new CircuitLensException("the attention viewer needs at least one example");
        foreach (var e in examples) e.Validate();
        int L = examples[0].Patterns.Dim(0), H = examples[0].Patterns.Dim(1);
        if (examples.Any(e => e.Patterns.Dim(0) != L || e.Patterns.Dim(1) != H))
            throw new CircuitLensException("attention examples disagree on the number of layers and heads");
        attentionJson = AttentionJson(examples, L, H);
        body.Append("<p class=\"hint\">Click any cell of a [layer, head] map, or a head below, to open its attention pattern: ")
            .Append("rows are the query (the position attending), columns the key (the position attended to).</p>\n");
        if (heads is { Count: > 0 })
        {
            body.Append("<p class=\"heads\">");
            foreach (var (l, h, label) in heads)
                body.Append(Inv($"<button type=\"button\" class=\"head\" data-l=\"{l}\" data-h=\"{h}\">")).Append(Enc(label)).Append("</button> ");
            body.Append("</p>\n");
        }
        return this;
    }

    public string Render()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Enc(title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n")
            .Append("<h1>").Append(Enc(title)).Append("</h1>\n")
            .Append(body)
            .Append("<div id=\"tip\" role=\"tooltip\"></div>\n");
        if (attentionJson is not null)
            html.Append(PatternView).Append("<script type=\"application/json\" id=\"attention-data\">").Append(attentionJson).Append("</script>\n");
        html.Append("<script>\n").Append(Script);
        if (attentionJson is not null) html.Append(ViewerScript);
        html.Append("</script>\n</body>\n</html>\n");
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

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    // {"layers","heads","ramp":[9 hex stops],"examples":[{"prompt","tokens":[shown labels],"raw":[tokens],"causal","p":[...]}]}
    // p is [layer, head, q, k] flattened, or, when nothing is above the diagonal (causal attention), only
    // each head's lower triangle row by row (q*(q+1)/2 + k), half the size for gpt2-xl's 1200 heads.
    // Values keep 3 decimals (the hover shows 3); JSON's encoder escapes '<' so the data cannot close its script tag.
    static string AttentionJson(IReadOnlyList<AttentionExample> examples, int layers, int heads)
    {
        var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("layers", layers);
            w.WriteNumber("heads", heads);
            w.WriteStartArray("ramp");
            for (int i = 0; i <= 8; i++) w.WriteStringValue(ColorRamp.At(ColorScale.Sequential, i / 8.0).ToHex());
            w.WriteEndArray();
            w.WriteStartArray("examples");
            foreach (var e in examples)
            {
                w.WriteStartObject();
                w.WriteString("prompt", e.Prompt);
                w.WriteStartArray("tokens");
                foreach (var t in e.Tokens) w.WriteStringValue(LabelText.Token(t));
                w.WriteEndArray();
                w.WriteStartArray("raw");
                foreach (var t in e.Tokens) w.WriteStringValue(LabelText.Token(t, 40));
                w.WriteEndArray();
                int T = e.Tokens.Length;
                var p = e.Patterns.Data;
                bool causal = true;
                for (int i = 0; i < layers * heads && causal; i++)
                    for (int q = 0; q < T && causal; q++)
                        for (int k = q + 1; k < T; k++)
                            if (p[(i * T + q) * T + k] != 0) { causal = false; break; }
                w.WriteBoolean("causal", causal);
                w.WriteStartArray("p");
                for (int i = 0; i < layers * heads; i++)
                    for (int q = 0; q < T; q++)
                        for (int k = 0; k < (causal ? q + 1 : T); k++)
                        {
                            float v = p[(i * T + q) * T + k];
                            w.WriteRawValue(float.IsFinite(v) ? Math.Round(v, 3).ToString("0.###", CultureInfo.InvariantCulture) : "0", skipInputValidation: true);
                        }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

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
        svg.heatmap text, svg.pattern text { pointer-events: none; }
        rect.cell[data-l], button.head { cursor: pointer; }
        button.head { font: 0.9em 'DejaVu Sans Mono', Menlo, Consolas, monospace; margin: 2px; padding: 2px 8px; border: 1px solid #bbb; border-radius: 3px; background: #f6f6f6; }
        button.head:hover { background: #e8eef7; }
        p.hint { color: #555; }
        #pattern-view { position: fixed; top: 12px; right: 12px; max-width: 46vw; max-height: calc(100vh - 24px); overflow: auto; background: #fff; border: 1px solid #999; box-shadow: 0 4px 16px rgba(0,0,0,0.25); padding: 10px 14px; z-index: 5; }
        #pattern-view[hidden] { display: none; }
        #pattern-view header { display: flex; gap: 10px; align-items: center; margin-bottom: 6px; }
        #pattern-view h3 { margin: 0; flex: 1; }
        #pattern-view select { max-width: 28em; }
        #tip { position: fixed; display: none; pointer-events: none; background: rgba(20,20,20,0.9); color: #fff; padding: 3px 7px; border-radius: 3px; font: 12px 'DejaVu Sans Mono', Menlo, Consolas, monospace; white-space: pre; z-index: 10; }

        """;

    const string PatternView = """
        <aside id="pattern-view" hidden aria-live="polite">
        <header><h3 id="pv-title">Attention pattern</h3><button type="button" id="pv-close" aria-label="close">×</button></header>
        <label>example <select id="pv-example"></select></label>
        <div id="pv-grid"></div>
        </aside>

        """;

    // Builds the token × token grid of the chosen head and example as SVG (cells are rect.cell with a
    // <title>, so the hover tooltip above serves them too). Colours: the sequential ramp, 0..1.
    const string ViewerScript = """
        (function () {
          var data = JSON.parse(document.getElementById('attention-data').textContent);
          var view = document.getElementById('pattern-view'), select = document.getElementById('pv-example');
          var grid = document.getElementById('pv-grid'), title = document.getElementById('pv-title');
          var current = null;
          data.examples.forEach(function (ex, i) {
            var o = document.createElement('option');
            o.value = String(i);
            o.textContent = (i + 1) + ': ' + (ex.prompt.length > 70 ? ex.prompt.slice(0, 69) + '…' : ex.prompt);
            select.appendChild(o);
          });
          function hex(c) { return [1, 3, 5].map(function (i) { return parseInt(c.substr(i, 2), 16); }); }
          var ramp = data.ramp.map(hex);
          function color(v) {
            var u = Math.max(0, Math.min(1, v)) * (ramp.length - 1), i = Math.min(Math.floor(u), ramp.length - 2), f = u - i;
            var c = ramp[i].map(function (a, k) { return Math.round(a + (ramp[i + 1][k] - a) * f); });
            return 'rgb(' + c.join(',') + ')';
          }
          function esc(t) { return String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'); }
          // The grid is written as SVG markup; the HTML parser puts it in the SVG namespace.
          function render() {
            if (!current) return;
            var ex = data.examples[Number(select.value)], l = current.l, h = current.h, T = ex.tokens.length;
            title.textContent = 'Head ' + l + '.' + h + ' · attention pattern';
            if (l >= data.layers || h >= data.heads) { grid.textContent = 'No pattern for head ' + l + '.' + h + '.'; return; }
            var cell = Math.max(10, Math.min(28, Math.floor(480 / T)));
            var label = 7.2 * Math.max.apply(null, ex.tokens.map(function (t) { return t.length; })) + 10;
            var W = label + T * cell + 4, H = label + T * cell + 24, head = l * data.heads + h;
            var out = ['<svg class="pattern" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + ' ' + H +
              '" font-family="\'DejaVu Sans Mono\', Menlo, Consolas, monospace" font-size="12">'];
            for (var q = 0; q < T; q++) {
              for (var k = 0; k < T; k++) {
                var v = ex.causal ? (k > q ? 0 : ex.p[head * T * (T + 1) / 2 + q * (q + 1) / 2 + k]) : ex.p[(head * T + q) * T + k];
                out.push('<rect class="cell" x="' + (label + k * cell) + '" y="' + (label + q * cell) + '" width="' + cell + '" height="' + cell +
                  '" fill="' + color(v) + '"><title>' + esc('query ' + q + ' (' + ex.raw[q] + ') → key ' + k + ' (' + ex.raw[k] + '): ' + v.toFixed(3)) + '</title></rect>');
              }
              out.push('<text class="qtok" x="' + (label - 4) + '" y="' + (label + (q + 0.5) * cell) + '" text-anchor="end" dominant-baseline="central">' + esc(ex.tokens[q]) + '</text>');
              out.push('<text class="ktok" transform="translate(' + (label + (q + 0.5) * cell) + ' ' + (label - 4) + ') rotate(-90)" dominant-baseline="central">' + esc(ex.tokens[q]) + '</text>');
            }
            out.push('<rect x="' + label + '" y="' + label + '" width="' + T * cell + '" height="' + T * cell + '" fill="none" stroke="#999"/>');
            out.push('<text x="' + (label + T * cell / 2) + '" y="' + (label + T * cell + 16) + '" text-anchor="middle" font-family="system-ui, sans-serif">key (attended to) →; rows: query</text>');
            out.push('</svg>');
            grid.innerHTML = out.join('');
          }
          document.addEventListener('click', function (e) {
            var t = e.target.closest ? e.target.closest('[data-l][data-h]') : null;
            if (!t) return;
            current = { l: Number(t.getAttribute('data-l')), h: Number(t.getAttribute('data-h')) };
            view.hidden = false;
            render();
          });
          select.addEventListener('change', render);
          document.getElementById('pv-close').addEventListener('click', function () { view.hidden = true; });
        })();

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
