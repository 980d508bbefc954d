// How the corrupted prompt of an IOI pair is made from the clean one.
namespace CircuitLens.Tasks.Ioi;

public enum IoiCorruption
{
    /// <summary>The second mention of S becomes IO; the expected answer flips. JSON "s2-swap".</summary>
    S2Swap,
    /// <summary>IO, S1 and S2 become three other distinct names (the paper's ABC baseline). JSON "abc".</summary>
    Abc,
}
