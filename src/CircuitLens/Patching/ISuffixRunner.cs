// What the fast exact engine needs of a suffix runner: residual rows to fill with each variant's patched
// starting state, and "run them from here to the metric". SuffixRunner runs them on the CPU, DeviceSuffixRunner
// on an ILGPU device; FastActivationPatching prepares the rows the same way for both.
namespace CircuitLens.Patching;

internal interface ISuffixRunner
{
    /// <summary>Residual rows (R,C) of the variants, on the host; fill before running.</summary>
    Span<float> Residual(SuffixRunner.Variants vs);

    /// <summary>
    /// Residual row += dz·W_O[h] of layer (dz (HS): a change of head h's z). Call after filling the rows, before running:
    /// the CPU runner adds it at once, a device runner on the device (only dz crosses the bus).
    /// </summary>
    void AddHeadOutput(int row, int layer, int head, ReadOnlySpan<float> dz);

    /// <summary>Residual holds resid_pre of <paramref name="layer"/>; runs to the end and returns the metric per variant.</summary>
    float[] RunFromResidPre(SuffixRunner.Variants vs, int layer);

    /// <summary>Residual holds resid_mid of <paramref name="layer"/>: runs its MLP, then continues.</summary>
    float[] RunFromResidMid(SuffixRunner.Variants vs, int layer);
}
