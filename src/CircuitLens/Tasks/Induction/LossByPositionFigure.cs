// The induction-heads loss plot: mean next-token loss (y) by position in the block (x = 1..L−1),
// one line for the first copy of the random block and one for the second. Drawn as a small SVG line
// chart (axes, ticks, legend, hover values) for the report and as loss-by-position.svg; the numbers
// themselves are in loss_by_position.csv / .npy.
using System.Globalization;
using System.Text;
using CircuitLens.Reports;

namespace CircuitLens.Tasks.Induction;

/// <param name="FirstCopy">Loss predicting block tokens 1..L−1 in the first copy.</param>
/// <param name="SecondCopy">Loss predicting block tokens 1..L−1 in the second copy.</param>
public sealed record LossByPosition(string Title, int BlockLength, float[] FirstCopy, float[] SecondCopy);

public static class LossByPositionFigure
{
    const float Width = 640, Height = 380, Left = 64, Right = 150, Top = 48, Bottom = 52;
    static readonly (string Name, string Color)[] Series = [("first copy", "#d6604d"), ("second copy", "#2166ac")];

    /// <summary>Writes &lt;stem&gt;.svg; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string stem, LossByPosition plot)
    {
        string path = stem + ".svg";
        ReportFiles.WriteAtomic(path, Render(plot, standalone: true));
        return [path];
    }

    public static void AddTo(HtmlReport report, LossByPosition plot, string caption) => report.AddSvg(Render(plot, standalone: false), caption);

    public static string Render(LossByPosition plot, bool standalone)
    {
        float[][] ys = [plot.FirstCopy, plot.SecondCopy];
        int n = plot.BlockLength - 1;
        if (n < 1 || ys.Any(y => y.Length != n)) throw new CircuitLensException($"loss plot: expected {n} values per copy");
        float yMax = NiceCeiling(Math.Max(1e-3f, ys.SelectMany(y => y).Where(float.IsFinite).DefaultIfEmpty(1).Max()));
        float plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        float X(int i) => Left + (n == 1 ? plotW / 2 : plotW * (i - 1) / (n - 1));   // i = 1..n
        float Y(float v) => Top + plotH * (1 - v / yMax);

        var sb = new StringBuilder();
        if (standalone) sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.Append(Inv($"<svg{(standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : "")} width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" class=\"lineplot\" font-family=\"system-ui, 'DejaVu Sans', Arial, sans-serif\">\n"));
        sb.Append(Inv($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>\n"));
        sb.Append(Inv($"<text x=\"{Width / 2}\" y=\"22\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\">{SvgSurface.Escape(plot.Title)}</text>\n"));
        // y grid and ticks
        for (int k = 0; k <= 4; k++)
        {
            float v = yMax * k / 4, y = Y(v);
            sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{N(y)}\" x2=\"{Left + plotW}\" y2=\"{N(y)}\" stroke=\"#e6e6e6\"/>\n"));
            sb.Append(Inv($"<text x=\"{Left - 6}\" y=\"{N(y)}\" font-size=\"11\" text-anchor=\"end\" dominant-baseline=\"central\">{v:0.##}</text>\n"));
        }
        // x ticks: every position, or every k-th when crowded
        int stride = Math.Max(1, (int)Math.Ceiling(n / (plotW / 28)));
        for (int i = 1; i <= n; i += stride)
            sb.Append(Inv($"<text x=\"{N(X(i))}\" y=\"{Top + plotH + 16}\" font-size=\"11\" text-anchor=\"middle\">{i}</text>\n"));
        sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{Top + plotH}\" x2=\"{Left + plotW}\" y2=\"{Top + plotH}\" stroke=\"#444\"/>\n"));
        sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotH}\" stroke=\"#444\"/>\n"));
        sb.Append(Inv($"<text x=\"{Left + plotW / 2}\" y=\"{Height - 12}\" font-size=\"13\" text-anchor=\"middle\">position in the block (token predicted)</text>\n"));
        sb.Append(Inv($"<text transform=\"translate(18 {Top + plotH / 2}) rotate(-90)\" font-size=\"13\" text-anchor=\"middle\">mean loss (nats)</text>\n"));
        for (int s = 0; s < 2; s++)
        {
            var (name, color) = Series[s];
            var points = Enumerable.Range(1, n).Where(i => float.IsFinite(ys[s][i - 1])).Select(i => $"{N(X(i))},{N(Y(ys[s][i - 1]))}");
            sb.Append(Inv($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>\n"));
            for (int i = 1; i <= n; i++)
                if (float.IsFinite(ys[s][i - 1]))
                    sb.Append(Inv($"<circle cx=\"{N(X(i))}\" cy=\"{N(Y(ys[s][i - 1]))}\" r=\"3\" fill=\"{color}\"><title>{name}, position {i}: {ys[s][i - 1]:0.###}</title></circle>\n"));
            float ly = Top + 10 + 20 * s;
            sb.Append(Inv($"<line x1=\"{Left + plotW + 14}\" y1=\"{ly}\" x2=\"{Left + plotW + 38}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/>\n"));
            sb.Append(Inv($"<text x=\"{Left + plotW + 44}\" y=\"{ly}\" font-size=\"12\" dominant-baseline=\"central\">{name}</text>\n"));
        }
        return sb.Append("</svg>\n").ToString();
    }

    // 1, 2, 2.5, 5 × 10^k at or above v
    static float NiceCeiling(float v)
    {
        float p = MathF.Pow(10, MathF.Floor(MathF.Log10(v)));
        foreach (float m in new[] { 1f, 2f, 2.5f, 5f, 10f }) if (m * p >= v) return m * p;
        return 10 * p;
    }

    static string N(float v) => MathF.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);
    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
