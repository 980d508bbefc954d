namespace CircuitLens.Patching;

/// <summary>How far a sweep has come, in patched forward passes (or variants for the fast engine).</summary>
public readonly record struct PatchingProgress(string Sweep, long Done, long Total);
