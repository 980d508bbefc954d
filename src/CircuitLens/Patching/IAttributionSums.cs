// What attribution patching's sweep layout (AttributionPatching.Fill) reads from an engine: the sums
// Σ (clean − corrupt)·∂metric/∂act of one hook's activation over segments of each row (a head's HS
// values, a pattern row, a whole position, one neuron), per position or summed over positions from each
// example's first differing row on. The CPU engine computes them from host caches; the device engine
// (DeviceAttributionSums) on the device, so only these sums cross the bus.
namespace CircuitLens.Patching;

internal interface IAttributionSums
{
    /// <summary>(B,T,S): segment s of row (b, t) of <paramref name="hookName"/>'s activation; only t ≥ the example's first row is read.</summary>
    float[] PerPosition(string hookName, int segments);

    /// <summary>(B,S): the per-position sums added over t ≥ each example's first row.</summary>
    float[] OverPositions(string hookName, int segments);
}
