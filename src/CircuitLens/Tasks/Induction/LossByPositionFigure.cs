// The induction-heads loss plot: mean next-token loss (y) by position in the block (x = 1..L−1),
// one line for the first copy of the random block and one for the second, as a LinePlot
// (loss-by-position.png/.svg, and inline in the report). The numbers are in loss_by_position.csv/.npy.
using CircuitLens.Reports;

namespace CircuitLens.Tasks.Induction;

/// <param name="FirstCopy">Loss predicting block tokens 1..L−1 in the first copy.</param>
/// <param name="SecondCopy">Loss predicting block tokens 1..L−1 in the second copy.</param>
public sealed record LossByPosition(string Title, int BlockLength, float[] FirstCopy, float[] SecondCopy);

public static class LossByPositionFigure
{
    public static LinePlot Plot(LossByPosition loss)
    {
        var x = Enumerable.Range(1, loss.BlockLength - 1).Select(i => (double)i).ToArray();
        return new LinePlot(loss.Title, "position in the block (token predicted)", "mean loss (nats)",
        [
            new LineSeries("first copy", loss.FirstCopy.Select(v => (double)v).ToArray()) { X = x },
            new LineSeries("second copy", loss.SecondCopy.Select(v => (double)v).ToArray()) { X = x },
        ]) { YMin = 0 };
    }

    /// <summary>Writes &lt;stem&gt;.png and &lt;stem&gt;.svg; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string stem, LossByPosition loss) => FigureFiles.Write(stem, Plot(loss));

    public static void AddTo(HtmlReport report, LossByPosition loss, string caption) => report.AddLinePlot(Plot(loss), caption);
}
