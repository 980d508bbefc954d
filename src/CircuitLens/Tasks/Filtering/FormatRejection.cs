// One row the format filter refused: where it came from, the stable reason code and a specific one-line detail.
namespace CircuitLens.Tasks.Filtering;

/// <param name="LineNumber">1-based line number in the source (file or model response); 0 when unknown.</param>
/// <param name="Reason">A code from <see cref="FormatRejectReason"/>.</param>
/// <param name="Detail">What exactly was wrong with this row, one line.</param>
/// <param name="Text">The raw line as read.</param>
public sealed record FormatRejection(int LineNumber, string Reason, string Detail, string Text)
{
    public string Description => FormatRejectReason.Describe(Reason);
}
