// Which order the two names take in the first clause of an IOI prompt.
namespace CircuitLens.Tasks.Ioi;

public enum IoiPattern
{
    /// <summary>"Then, S and IO went ..., S gave ... to" (the templates as written).</summary>
    Baba,
    /// <summary>"Then, IO and S went ..., S gave ... to" (first two names swapped).</summary>
    Abba,
    /// <summary>Alternates BABA and ABBA row by row (even rows BABA), so the two are balanced.</summary>
    Mixed,
}
