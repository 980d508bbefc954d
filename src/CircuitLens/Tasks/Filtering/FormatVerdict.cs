// The outcome of checking one row: either the accepted, normalised pair or the rejection.
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tasks.Filtering;

public sealed record FormatVerdict(IoiPair? Pair, FormatRejection? Rejection)
{
    public bool Accepted => Pair is not null;
}
