// Hanna et al.'s picture of greater-than: for each start year YY (rows), the probability the model gives
// each two-digit token YY' (columns) at the last position, averaged over the prompts with that YY —
// on the clean prompts, and on the corrupted (XX01) prompts with the circuit's activations patched in
// from the clean run (head z and MLP outputs at every position). A model that computes "greater than"
// puts its mass right of the diagonal YY' = YY; a circuit that carries the computation keeps that shape.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Tasks.GreaterThan;

/// <param name="StartYears">The distinct start years YY present, ascending (the rows).</param>
/// <param name="Clean">[start year, 100]: mean p(YY') on the clean prompts.</param>
/// <param name="CircuitPatched">[start year, 100]: mean p(YY') on the corrupted prompts with the circuit patched in from the clean run.</param>
/// <param name="Corrupt">[start year, 100]: mean p(YY') on the corrupted prompts (nothing patched).</param>
public sealed record YearProbabilities(int[] StartYears, Tensor Clean, Tensor CircuitPatched, Tensor Corrupt)
{
    /// <summary>Mean over rows of Σ p(YY' &gt; YY) − Σ p(YY' ≤ YY) of a [start year, 100] table.</summary>
    public float MeanProbDiff(Tensor table)
    {
        double sum = 0;
        for (int r = 0; r < StartYears.Length; r++)
            for (int y = 0; y < 100; y++) sum += (y > StartYears[r] ? 1 : -1) * table[r, y];
        return (float)(sum / StartYears.Length);
    }

    public static YearProbabilities Compute(HookedTransformer model, IReadOnlyList<GreaterThanPair> pairs, bool prependBos, GreaterThanCircuit circuit,
        int batchSize = 16, CancellationToken ct = default)
    {
        var yearIds = GreaterThanVocabulary.TwoDigitTokens.Select(model.Tokenizer.TokenId).ToArray();
        var years = pairs.Select(p => p.Year).Distinct().Order().ToArray();
        var rowOf = years.Select((y, i) => (y, i)).ToDictionary(t => t.y, t => t.i);
        var sums = new[] { new double[years.Length, 100], new double[years.Length, 100], new double[years.Length, 100] };
        var counts = new int[years.Length];
        var headsByLayer = circuit.Heads.GroupBy(h => h.Layer).ToDictionary(g => g.Key, g => g.Select(h => h.Head).ToArray());
        var cacheNames = headsByLayer.Keys.Select(HookNames.AttnZ).Concat(circuit.MlpLayers.Select(l => HookNames.Name(HookPoint.MlpOut, l))).ToHashSet();

        for (int start = 0; start < pairs.Count; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            var chunk = pairs.Skip(start).Take(batchSize).ToList();
            var clean = TokenBatch.FromSequences(chunk.Select(p => model.ToTokens(p.Clean, prependBos)).ToList());
            var corrupt = TokenBatch.FromSequences(chunk.Select(p => model.ToTokens(p.Corrupt, prependBos)).ToList());
            var (cleanRun, cache) = model.RunWithCache(clean, cacheNames.Contains, new ForwardOptions { Logits = LogitsMode.LastPosition });
            var corruptLogits = model.Forward(corrupt, LogitsMode.LastPosition);
            var hooks = new List<NamedHook>();
            foreach (var (layer, heads) in headsByLayer)
            {
                var cleanZ = cache[HookPoint.Z, layer];
                hooks.Add(new NamedHook(HookNames.AttnZ(layer), (z, _) =>
                {
                    // (B,T,NH,HS): the circuit's heads at every position (clean and corrupt have the same length and padding)
                    for (int b = 0; b < z.Dim(0); b++) for (int t = 0; t < z.Dim(1); t++) foreach (int h in heads) cleanZ.Slice(b, t, h).CopyTo(z.Slice(b, t, h));
                }));
            }
            foreach (int layer in circuit.MlpLayers)
            {
                var cleanOut = cache[HookPoint.MlpOut, layer];
                hooks.Add(new NamedHook(HookNames.Name(HookPoint.MlpOut, layer), (act, _) => cleanOut.Span.CopyTo(act.Span)));
            }
            var patchedLogits = model.RunWithHooks(corrupt, hooks, new ForwardOptions { Logits = LogitsMode.LastPosition }).Logits!;
            Tensor[] logits = [cleanRun.Logits!, patchedLogits, corruptLogits];
            for (int i = 0; i < chunk.Count; i++)
            {
                int row = rowOf[chunk[i].Year];
                counts[row]++;
                for (int k = 0; k < 3; k++)
                {
                    var l = logits[k].Slice(i, 0);
                    var p = new float[l.Length];
                    TensorPrimitives.SoftMax(l, p);
                    for (int y = 0; y < 100; y++) sums[k][row, y] += p[yearIds[y]];
                }
            }
        }
        Tensor Mean(double[,] s)
        {
            var t = Tensor.Zeros(years.Length, 100);
            for (int r = 0; r < years.Length; r++) for (int y = 0; y < 100; y++) t[r, y] = (float)(s[r, y] / counts[r]);
            return t;
        }
        return new YearProbabilities(years, Mean(sums[0]), Mean(sums[1]), Mean(sums[2]));
    }
}
