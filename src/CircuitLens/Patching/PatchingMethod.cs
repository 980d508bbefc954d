namespace CircuitLens.Patching;

public enum PatchingMethod
{
    /// <summary>Exact activation patching with the fast engine (default).</summary>
    Exact,
    /// <summary>Exact activation patching, one hooked forward of the batch per component (TransformerLens' way; the baseline).</summary>
    Plain,
    /// <summary>Attribution patching: linear estimate from 2 forward + 1 backward passes.</summary>
    Attribution,
    /// <summary>Exact and attribution, plus how well they agree.</summary>
    Both,
}
