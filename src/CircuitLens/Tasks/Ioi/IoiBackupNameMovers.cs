// The IOI paper's knock-out experiment for backup name movers: the name movers found are knocked out
// (their z mean-ablated at every position over the ABC prompts of the same template and length), and
// every other head's direct effect on the logit difference (HeadDirectEffects) is measured with and
// without them. A head whose direct effect grows when the name movers are gone takes over their role:
// a backup name mover. Each head's increase is normalised by the clean − corrupted logit difference
// (batch means), so 0.1 = a tenth of what the corruption changes.
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Ioi;

public static class IoiBackupNameMovers
{
    /// <summary>[layer, head]: (direct effect with <paramref name="nameMovers"/> knocked out − without) / <paramref name="metricGap"/>
    /// (the batch's mean clean − mean corrupted logit difference); NaN for the knocked-out heads themselves.</summary>
    public static Tensor DirectEffectIncrease(HookedTransformer model, PatchingBatch data, CircuitAblation ablation, IReadOnlyCollection<HeadId> nameMovers, double metricGap)
    {
        var before = HeadDirectEffects.Measure(model, data);
        var after = HeadDirectEffects.Measure(model, data, ablation.KnockOut(nameMovers));
        var result = Tensor.Zeros(before.Shape);
        for (int i = 0; i < result.Length; i++) result.Data[i] = (float)((after.Data[i] - before.Data[i]) / metricGap);
        foreach (var h in nameMovers) result[h.Layer, h.Head] = float.NaN;
        return result;
    }
}
