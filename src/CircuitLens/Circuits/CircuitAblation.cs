// Runs the clean prompts with everything outside a circuit knocked out, and reads the metric:
//   mean     — each ablated head's z (and MLP's output) replaced at each position by its mean over the
//              reference prompts at that position (rows grouped by template when both sides name one,
//              and by token length, so a position means the same slot);
//   zero     — replaced by zeros;
//   resample — replaced by their values on one random reference row of the pair's group.
// Heads of the circuit keep their own values at their kept positions and are ablated elsewhere. The
// full model goes through the same hooked pass with nothing to replace, so F(full) = F(M) exactly.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Patching.Metrics;
using CircuitLens.Tensors;

namespace CircuitLens.Circuits;

public enum AblationKind { Mean, Zero, Resample }

public sealed class CircuitAblation
{
    private readonly HookedTransformer _model;
    private readonly PatchingBatch _data;
    private readonly Tensor[] _z, _mlp;   // per layer, aligned with the clean batch: (B,T,NH,HS) and (B,T,C)
    private readonly Dictionary<CircuitPositions, bool[][]> _resolved = new(ReferenceEqualityComparer.Instance);

    public AblationKind Kind { get; }
    public PatchingBatch Data => _data;

    /// <param name="reference">Reference prompts' token ids (with the same BOS choice as the pairs).</param>
    /// <param name="referenceGroups">Per reference row its template (or null); rows are grouped by it when the pairs carry one too.</param>
    /// <param name="pairGroups">Per pair its template (or null).</param>
    public CircuitAblation(HookedTransformer model, PatchingBatch data, AblationKind kind, IReadOnlyList<int[]>? reference = null,
        IReadOnlyList<string?>? referenceGroups = null, IReadOnlyList<string?>? pairGroups = null, int seed = 0)
    {
        _model = model; _data = data; Kind = kind;
        var cfg = model.Config;
        int B = data.Count, T = data.SeqLen, L = cfg.NLayers;
        _z = new Tensor[L]; _mlp = new Tensor[L];
        for (int l = 0; l < L; l++) { _z[l] = Tensor.Zeros(B, T, cfg.NHeads, cfg.DHead); _mlp[l] = Tensor.Zeros(B, T, cfg.DModel); }
        if (kind == AblationKind.Zero) return;
        if (reference is null || reference.Count == 0) throw new CircuitLensException($"{kind.ToString().ToLowerInvariant()} ablation needs reference prompts");

        bool byTemplate = referenceGroups is not null && pairGroups is not null && referenceGroups.Any(g => g is not null) && pairGroups.Any(g => g is not null);
        string Key(string? group, int length) => byTemplate ? $"{group}\u0001{length}" : length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var groups = Enumerable.Range(0, reference.Count).GroupBy(i => Key(referenceGroups?[i], reference[i].Length)).ToDictionary(g => g.Key, g => g.ToList());
        var rng = new Random(seed);
        var cacheByGroup = new Dictionary<string, ActivationCache>();
        for (int b = 0; b < B; b++)
        {
            int len = data.Length(b), pad = data.PadLeft(b);
            string key = Key(pairGroups?[b], len);
            if (!groups.TryGetValue(key, out var rows))
                throw new CircuitLensException($"pair {b + 1}: no reference prompt of its {(byTemplate ? $"template '{pairGroups![b]}' and " : "")}length ({len} tokens); mean and resample ablation need reference rows aligned position by position");
            if (!cacheByGroup.TryGetValue(key, out var cache))
            {
                var names = new Func<string, bool>(n => HookNames.TryParse(n, L, out var p, out _) && p is HookPoint.Z or HookPoint.MlpOut);
                cache = model.RunWithCache(TokenBatch.FromSequences(rows.Select(i => reference[i]).ToList()), names, new ForwardOptions { Logits = LogitsMode.None }).Cache;
                cacheByGroup[key] = cache;
            }
            int pick = kind == AblationKind.Resample ? rng.Next(rows.Count) : -1;
            for (int l = 0; l < L; l++)
            {
                Fill(_z[l], cache[HookPoint.Z, l], b, pad, len, pick);
                Fill(_mlp[l], cache[HookPoint.MlpOut, l], b, pad, len, pick);
            }
        }
    }

    // dst row b at padded positions pad..pad+len-1 ← the group's mean over rows (pick < 0) or row `pick`
    private static void Fill(Tensor dst, Tensor group, int b, int pad, int len, int pick)
    {
        int rows = group.Dim(0);
        for (int p = 0; p < len; p++)
        {
            var d = dst.Slice(b, pad + p);
            if (pick >= 0) { group.Slice(pick, p).CopyTo(d); continue; }
            d.Clear();
            for (int r = 0; r < rows; r++) System.Numerics.Tensors.TensorPrimitives.Add(d, group.Slice(r, p), d);
            System.Numerics.Tensors.TensorPrimitives.Multiply(d, 1f / rows, d);
        }
    }

    /// <summary>The metric of every clean prompt with everything outside <paramref name="circuit"/> ablated.</summary>
    public float[] Evaluate(Circuit circuit, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var cfg = _model.Config;
        int B = _data.Count, T = _data.SeqLen, L = cfg.NLayers, H = cfg.NHeads;
        var hooks = new List<NamedHook>();
        var byHead = circuit.Heads.ToDictionary(h => h.Head);
        for (int l = 0; l < L; l++)
        {
            // per head: null = ablate everywhere, All = keep, else the kept positions per pair
            var plan = new bool[][]?[H];
            bool any = false;
            for (int h = 0; h < H; h++)
            {
                if (!byHead.TryGetValue(new HeadId(l, h), out var ch)) { plan[h] = null; any = true; continue; }
                if (ch.Positions.IsAll) { plan[h] = []; continue; }
                plan[h] = Resolve(ch.Positions);
                any = true;
            }
            if (any)
            {
                var abl = _z[l];
                hooks.Add(new NamedHook(HookNames.AttnZ(l), (act, _) =>
                {
                    for (int h = 0; h < H; h++)
                    {
                        var keep = plan[h];
                        if (keep is { Length: 0 }) continue;
                        for (int b = 0; b < B; b++)
                        {
                            int pad = _data.PadLeft(b);
                            for (int t = pad; t < T; t++)
                                if (keep is null || !keep[b][t - pad]) abl.Slice(b, t, h).CopyTo(act.Slice(b, t, h));
                        }
                    }
                }));
            }
            if (circuit.Mlps is { } mlps && !mlps.Contains(l))
            {
                var abl = _mlp[l];
                hooks.Add(new NamedHook(HookNames.Name(HookPoint.MlpOut, l), (act, _) =>
                {
                    for (int b = 0; b < B; b++)
                        for (int t = _data.PadLeft(b); t < T; t++) abl.Slice(b, t).CopyTo(act.Slice(b, t));
                }));
            }
        }
        var logits = _model.Run(_data.Clean, new ForwardOptions { Logits = LogitsMode.LastPosition }, hooks).Logits!;
        return _data.Metric.FromLogits(logits);
    }

    /// <summary>Hooks that knock out <paramref name="heads"/>: each one's z replaced by its ablated value (this ablation's kind) at every
    /// position of every pair; every other head and MLP keeps its own. For a run of the caller's (e.g. direct effects under the knock-out).</summary>
    public IReadOnlyList<NamedHook> KnockOut(IReadOnlyCollection<HeadId> heads)
    {
        var hooks = new List<NamedHook>();
        int B = _data.Count, T = _data.SeqLen;
        foreach (var layer in heads.GroupBy(h => h.Layer))
        {
            var abl = _z[layer.Key];
            int[] inLayer = layer.Select(h => h.Head).Distinct().ToArray();
            hooks.Add(new NamedHook(HookNames.AttnZ(layer.Key), (act, _) =>
            {
                foreach (int h in inLayer)
                    for (int b = 0; b < B; b++)
                        for (int t = _data.PadLeft(b); t < T; t++) abl.Slice(b, t, h).CopyTo(act.Slice(b, t, h));
            }));
        }
        return hooks;
    }

    /// <summary>F: the mean metric over the pairs.</summary>
    public double F(Circuit circuit, CancellationToken ct = default) => Evaluate(circuit, ct).Average(x => (double)x);

    private bool[][] Resolve(CircuitPositions positions)
    {
        if (_resolved.TryGetValue(positions, out var done)) return done;
        var result = new bool[_data.Count][];
        var ioi = _data.Metric as LogitDiffMetric;   // IOI roles: IO = the answer, S = the wrong token
        for (int b = 0; b < _data.Count; b++)
            result[b] = positions.Resolve(_data.Clean.Row(b), ioi?.AnswerIds[b] ?? -1, ioi?.WrongIds[b] ?? -1, $"pair {b + 1}");
        return _resolved[positions] = result;
    }
}
