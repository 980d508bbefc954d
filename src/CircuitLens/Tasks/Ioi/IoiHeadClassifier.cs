// Sorts attention heads into the IOI paper's classes from measurements (the rule is written out by
// Describe and saved with the result, so a reader can recompute it):
//   name mover           — path patching to the logits lowers the logit difference strongly
//                          (normalised ≤ −max(f·m, floor), m = the largest |effect| of any head), the head
//                          attends from END more to IO than to S, and its copy score is ≥ c;
//   negative name mover  — the same path raises it strongly (≥ max(f·m, floor)) and END attends more to IO than S;
//   s-inhibition         — path patching to the name movers' queries lowers it strongly (≤ −max(f·m_q, floor));
//   induction / duplicate token / previous token — detector score ≥ d, in the paper's layer range scaled to
//                          the model's depth (12 layers: 5–6, 0–3, 2–4), the k strongest per class.
//   backup name mover    — with the name movers knocked out (mean-ablated), the head's direct effect on the
//                          logit difference grows strongly (≥ max(f·m_b, floor), normalised; IoiBackupNameMovers);
// Each head gets the first class it qualifies for, in the order name mover, backup name mover, negative
// name mover, s-inhibition, induction, duplicate token, previous token.
using CircuitLens.Circuits;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Ioi;

/// <summary>Per-head measurements [layer, head]; <see cref="ToNameMoverQueries"/> is NaN where a head cannot reach the receivers, null when not measured.</summary>
public sealed record IoiHeadMeasurements(Tensor PreviousToken, Tensor DuplicateToken, Tensor Induction, Tensor EndToIo, Tensor EndToS,
    Tensor CopyScore, Tensor NegativeCopyScore, Tensor ToLogits, Tensor? ToNameMoverQueries)
{
    /// <summary>Per head, the growth of its direct effect when <see cref="KnockedOut"/> (the name movers) are mean-ablated, normalised (NaN for them); null when not measured.</summary>
    public Tensor? KnockoutDirectEffect { get; init; }
    /// <summary>The heads knocked out for <see cref="KnockoutDirectEffect"/>.</summary>
    public IReadOnlyList<HeadId> KnockedOut { get; init; } = [];

    public int Layers => ToLogits.Dim(0);
    public int Heads => ToLogits.Dim(1);
}

public sealed record IoiClassRule
{
    /// <summary>f: a path effect counts as strong at this fraction of the largest |effect|.</summary>
    public double PathFraction { get; init; } = 0.25;
    /// <summary>floor: and at least this much (normalised), so a map of zeros classifies nothing.</summary>
    public double PathFloor { get; init; } = 0.02;
    /// <summary>c: the least copy score of a name mover.</summary>
    public double CopyThreshold { get; init; } = 0.5;
    /// <summary>d: the least detector score of an induction, duplicate-token or previous-token head.</summary>
    public double DetectorThreshold { get; init; } = 0.3;
    /// <summary>k: at most this many heads per detector class (the paper lists 2–4).</summary>
    public int MaxPerDetectorClass { get; init; } = 4;
    /// <summary>At most this many name movers are the receivers of the second path patching.</summary>
    public int MaxReceivers { get; init; } = 3;
}

public static class IoiHeadClassifier
{
    public const string NameMover = "name mover", BackupNameMover = "backup name mover", NegativeNameMover = "negative name mover", SInhibition = "s-inhibition",
        Induction = "induction", DuplicateToken = "duplicate token", PreviousToken = "previous token";

    public static IReadOnlyList<string> Classes { get; } = [NameMover, BackupNameMover, NegativeNameMover, SInhibition, Induction, DuplicateToken, PreviousToken];

    /// <summary>The paper's layer range of a detector class (12 layers), scaled to <paramref name="nLayers"/>: [⌊a·L/12⌋, min(L−1, ⌈b·L/12⌉)].</summary>
    public static (int Lo, int Hi) LayerRange(string cls, int nLayers)
    {
        var (a, b) = cls switch
        {
            Induction => (5, 6),
            DuplicateToken => (0, 3),
            PreviousToken => (2, 4),
            _ => throw new ArgumentException($"{cls} has no layer range", nameof(cls)),
        };
        return ((int)Math.Floor(a * nLayers / 12.0), Math.Min(nLayers - 1, (int)Math.Ceiling(b * nLayers / 12.0)));
    }

    /// <summary>The threshold a path effect must pass: max(f·max|effect|, floor).</summary>
    public static double StrongPath(Tensor effect, IoiClassRule rule)
    {
        double max = effect.Data.Where(float.IsFinite).Select(x => Math.Abs((double)x)).DefaultIfEmpty(0).Max();
        return Math.Max(rule.PathFraction * max, rule.PathFloor);
    }

    /// <summary>The name movers by the first rule alone (they choose the receivers of the second path patching), strongest first.</summary>
    public static IReadOnlyList<HeadId> NameMovers(IoiHeadMeasurements m, IoiClassRule rule)
    {
        double strong = StrongPath(m.ToLogits, rule);
        return AllHeads(m).Where(h => IsNameMover(m, h, strong, rule)).OrderBy(h => m.ToLogits[h.Layer, h.Head]).ToList();
    }

    /// <summary>
    /// The receivers of path patching to the name movers' queries: the strongest name movers above layer 0
    /// (at most MaxReceivers); when none qualifies, the heads above layer 0 that lower the logit difference
    /// most along their direct path. Empty when no head does.
    /// </summary>
    public static IReadOnlyList<HeadId> Receivers(IoiHeadMeasurements m, IoiClassRule rule)
    {
        var movers = NameMovers(m, rule).Where(h => h.Layer > 0).Take(rule.MaxReceivers).ToList();
        if (movers.Count > 0) return movers;
        return AllHeads(m).Where(h => h.Layer > 0 && m.ToLogits[h.Layer, h.Head] < 0).OrderBy(h => m.ToLogits[h.Layer, h.Head]).Take(rule.MaxReceivers).ToList();
    }

    /// <summary>Each classified head with its class (heads in no class are left out), in layer order.</summary>
    public static IReadOnlyDictionary<HeadId, string> Classify(IoiHeadMeasurements m, IoiClassRule rule)
    {
        var result = new SortedDictionary<HeadId, string>();
        double strongLogits = StrongPath(m.ToLogits, rule);
        double strongBackup = m.KnockoutDirectEffect is { } grown ? StrongPath(grown, rule) : double.PositiveInfinity;
        foreach (var h in AllHeads(m))
        {
            float toLogits = m.ToLogits[h.Layer, h.Head];
            bool attendsIo = m.EndToIo[h.Layer, h.Head] > m.EndToS[h.Layer, h.Head];
            if (IsNameMover(m, h, strongLogits, rule)) result[h] = NameMover;
            else if (m.KnockoutDirectEffect is { } g && float.IsFinite(g[h.Layer, h.Head]) && g[h.Layer, h.Head] >= strongBackup) result[h] = BackupNameMover;
            else if (toLogits >= strongLogits && attendsIo) result[h] = NegativeNameMover;
        }
        if (m.ToNameMoverQueries is { } toQ)
        {
            double strongQ = StrongPath(toQ, rule);
            foreach (var h in AllHeads(m).Where(h => !result.ContainsKey(h)))
                if (float.IsFinite(toQ[h.Layer, h.Head]) && toQ[h.Layer, h.Head] <= -strongQ) result[h] = SInhibition;
        }
        foreach (var (cls, scores) in new[] { (Induction, m.Induction), (DuplicateToken, m.DuplicateToken), (PreviousToken, m.PreviousToken) })
        {
            var (lo, hi) = LayerRange(cls, m.Layers);
            var picked = AllHeads(m).Where(h => !result.ContainsKey(h) && h.Layer >= lo && h.Layer <= hi && scores[h.Layer, h.Head] >= rule.DetectorThreshold)
                .OrderByDescending(h => scores[h.Layer, h.Head]).ThenBy(h => h).Take(rule.MaxPerDetectorClass).ToList();
            foreach (var h in picked) result[h] = cls;
        }
        return result;
    }

    /// <summary>The rule in words, one line per class, with this model's numbers filled in.</summary>
    public static IReadOnlyList<(string Class, string Rule)> Describe(IoiClassRule rule, int nLayers)
    {
        string Range(string cls) { var (lo, hi) = LayerRange(cls, nLayers); return $"layers {lo}–{hi}"; }
        string f = rule.PathFraction.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
        string floor = rule.PathFloor.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        return
        [
            (NameMover, $"path patching → logits ≤ −max({f}·max|effect|, {floor}), END attends more to IO than to S, copy score ≥ {rule.CopyThreshold:0.##}"),
            (BackupNameMover, $"with the name movers mean-ablated, its direct effect on the logit difference grows by ≥ max({f}·max|growth|, {floor}) (normalised)"),
            (NegativeNameMover, $"path patching → logits ≥ max({f}·max|effect|, {floor}), END attends more to IO than to S"),
            (SInhibition, $"path patching → the name movers' queries ≤ −max({f}·max|effect|, {floor})"),
            (Induction, $"induction score ≥ {rule.DetectorThreshold:0.##}, {Range(Induction)}, the {rule.MaxPerDetectorClass} strongest"),
            (DuplicateToken, $"duplicate-token score ≥ {rule.DetectorThreshold:0.##}, {Range(DuplicateToken)}, the {rule.MaxPerDetectorClass} strongest"),
            (PreviousToken, $"previous-token score ≥ {rule.DetectorThreshold:0.##}, {Range(PreviousToken)}, the {rule.MaxPerDetectorClass} strongest"),
            ("order", "a head takes the first class it qualifies for, in the order above"),
        ];
    }

    /// <summary>The position a class is kept at in the paper's circuit: END, S2 or S1+1.</summary>
    public static string Position(string cls) => cls switch
    {
        Induction or DuplicateToken => "s2",
        PreviousToken => "s1+1",
        _ => "end",
    };

    private static bool IsNameMover(IoiHeadMeasurements m, HeadId h, double strong, IoiClassRule rule) =>
        m.ToLogits[h.Layer, h.Head] <= -strong && m.EndToIo[h.Layer, h.Head] > m.EndToS[h.Layer, h.Head] && m.CopyScore[h.Layer, h.Head] >= rule.CopyThreshold;

    private static IEnumerable<HeadId> AllHeads(IoiHeadMeasurements m) =>
        from l in Enumerable.Range(0, m.Layers) from h in Enumerable.Range(0, m.Heads) select new HeadId(l, h);
}
