// The planted-circuit models.
//
// induction (2 layers, 4 heads, d_model 256, d_head 64, n_ctx 64, MLPs zero). Residual subspaces:
//   T  = dims 0..63    the token's random embedding e_t (also its unembedding: wte is tied);
//   T' = dims 64..127  the previous token's embedding, written by the previous-token head;
//   P  = dims 128..191 a one-hot position.
//   0.0 previous-token head: q_i = P shifted by one (reads position i−1), k_j = P_j → attends to i−1;
//       OV copies T of the attended token into T'.
//   1.0 induction head: q_i = T (own token), k_j = T' (token before j) → attends to the token after an
//       earlier copy of the current one; OV copies its T into T, so the logits predict it.
// Planted edges: 0.0 → 1.0:k, 1.0 → logits.
//
// ioi (3 layers, 2 heads, d_model 256, d_head 128, n_ctx 64, MLPs zero). Subspaces: T = 0..63 the
// token's embedding (also its unembedding), I = 64..127 "the name to inhibit", P = 128..191 one-hot
// position, and single dimensions C0 (1 everywhere), NAME (1 on name tokens), DUP (the duplicate flag).
//   0.0 duplicate-token head: q·k = token match, minus a penalty on itself, plus a sink at position 0;
//       OV writes DUP = 1 when it found an earlier copy (its value is 0 at the sink).
//   1.0 S-inhibition head: attends to the flagged position, preferring names (S2); OV copies its token
//       into I.
//   2.0 name-mover head: attends to names, minus those whose token matches I (S); OV copies the token
//       into T, so the logits predict the name that is not repeated (IO).
// Planted edges: 0.0 → 1.0:k, 1.0 → 2.0:q, 2.0 → logits.
//
// ioi-backup (4 layers): ioi plus a backup name mover the IOI paper's knock-out finds.
//   3.0 backup name mover: attends to names, minus the one in I (S) and minus the one END's T already
//       holds — the name 2.0 copied there (IO) — else to position 0 (a sink); OV copies into T like 2.0.
//       In the intact model 2.0 has said IO, so 3.0 looks at the sink and adds nothing to the logit
//       difference; with 2.0 knocked out (mean-ablated) END's T no longer holds IO, 3.0 attends to IO
//       and copies it: it takes over the name mover's role. Its only edge is 2.0 → 3.0:q (the
//       suppression), so path patching in the intact model sees it as (nearly) no head.
using CircuitLens.Model;

namespace CircuitLens.Circuits.Toy;

public static class ToyModels
{
    public static IReadOnlyList<string> Kinds { get; } = ["induction", "ioi", "ioi-backup"];

    /// <param name="nameTokens">The name token ids for "ioi" and "ioi-backup" (which tokens are names).</param>
    public static PlantedModel Create(string kind, int seed = 0, IReadOnlyCollection<int>? nameTokens = null) => kind switch
    {
        "induction" => Induction(seed),
        "ioi" => Ioi(nameTokens ?? throw new ArgumentNullException(nameof(nameTokens)), seed),
        "ioi-backup" => Ioi(nameTokens ?? throw new ArgumentNullException(nameof(nameTokens)), seed, backup: true),
        _ => throw new CircuitLensException($"unknown toy model '{kind}' (choose from {string.Join(", ", Kinds)})"),
    };

    private const int Tok = 0, PrevTok = 64, Pos = 128, Width = 64;

    public static PlantedModel Induction(int seed = 0)
    {
        var cfg = new Gpt2Config { NLayers = 2, NHeads = 4, DModel = 256, DMlp = 1024, NCtx = 64, VocabSize = 50257, ModelName = "toy-induction" };
        var e = new WeightEditor(cfg);
        RandomTokenEmbeddings(e, cfg.VocabSize, seed);
        for (int p = 0; p < cfg.NCtx; p++) e.PositionEmbedding(p)[Pos + p] = 1f;

        // after ln_1 a unit coordinate becomes ≈ 1/std ≈ 10: scores are ≈ s²·100/√64
        const float prevScale = 1.6f, inductionScale = 2.2f;
        for (int p = 0; p + 1 < Width; p++)
        {
            e.Read(0, 0, 0, p, Pos + p + 1, prevScale);   // query dim p lights up at position p+1
            e.Read(0, 0, 1, p, Pos + p, prevScale);       // key dim p lights up at position p
        }
        for (int d = 0; d < Width; d++)
        {
            e.Read(0, 0, 2, d, Tok + d, 1f);
            e.Write(0, 0, d, PrevTok + d, 0.1f);
            e.Read(1, 0, 0, d, Tok + d, inductionScale);
            e.Read(1, 0, 1, d, PrevTok + d, inductionScale);
            e.Read(1, 0, 2, d, Tok + d, 1f);
            e.Write(1, 0, d, Tok + d, 0.6f);
        }
        return new PlantedModel("induction", e.Weights,
            [new CircuitHead(new HeadId(0, 0), "previous token", CircuitPositions.All), new CircuitHead(new HeadId(1, 0), "induction", CircuitPositions.All)],
            [new PlantedEdge("0.0", "1.0:k"), new PlantedEdge("1.0", "logits")]);
    }

    private const int IoiI = 64, IoiP = 128, C0 = 192, Name = 193, Dup = 194;

    public static PlantedModel Ioi(IReadOnlyCollection<int> nameTokens, int seed = 0, bool backup = false)
    {
        var cfg = new Gpt2Config { NLayers = backup ? 4 : 3, NHeads = 2, DModel = 256, DMlp = 1024, NCtx = 64, VocabSize = 50257, ModelName = backup ? "toy-ioi-backup" : "toy-ioi" };
        var e = new WeightEditor(cfg);
        RandomTokenEmbeddings(e, cfg.VocabSize, seed);
        foreach (int t in nameTokens) e.TokenEmbedding(t)[Name] = 1f;
        for (int p = 0; p < cfg.NCtx; p++) { e.PositionEmbedding(p)[IoiP + p] = 1f; e.PositionEmbedding(p)[C0] = 1f; }

        // 0.0 duplicate token: head dims 0..63 token match, 64..127 position (self penalty; the sink at position 0)
        const float match = 2f, self = 2.5f, sink = 0.8f;
        for (int d = 0; d < Width; d++)
        {
            e.Read(0, 0, 0, d, Tok + d, match);
            e.Read(0, 0, 1, d, Tok + d, match);
            e.Read(0, 0, 0, Width + d, IoiP + d, -self);
            e.Read(0, 0, 1, Width + d, IoiP + d, self);
        }
        e.Read(0, 0, 0, Width, C0, sink);              // every query likes key position 0
        e.Read(0, 0, 2, 0, C0, 1f);                     // value 1 at every key but the sink
        e.Read(0, 0, 2, 0, IoiP, -1f);
        e.Write(0, 0, 0, Dup, 0.12f);

        // 1.0 S-inhibition: attends to the flagged position (names first), copies its token into I
        const float inhibit = 2.5f;
        e.Read(1, 0, 0, 0, C0, inhibit);
        e.Read(1, 0, 1, 0, Dup, inhibit);
        e.Read(1, 0, 1, 0, Name, 0.5f * inhibit);
        for (int d = 0; d < Width; d++)
        {
            e.Read(1, 0, 2, d, Tok + d, 1f);
            e.Write(1, 0, d, IoiI + d, 0.12f);
        }

        // 2.0 name mover: attends to names except the one in I, copies it into T
        const float names = 2f, away = 2f;
        e.Read(2, 0, 0, 0, C0, names);
        e.Read(2, 0, 1, 0, Name, names);
        for (int d = 0; d < Width; d++)
        {
            e.Read(2, 0, 0, 1 + d, IoiI + d, away);
            e.Read(2, 0, 1, 1 + d, Tok + d, -away);
            e.Read(2, 0, 2, d, Tok + d, 1f);
            e.Write(2, 0, d, Tok + d, 0.6f);
        }
        List<CircuitHead> heads =
        [
            new CircuitHead(new HeadId(0, 0), "duplicate token", CircuitPositions.All),
            new CircuitHead(new HeadId(1, 0), "s-inhibition", CircuitPositions.All),
            new CircuitHead(new HeadId(2, 0), "name mover", CircuitPositions.All),
        ];
        List<PlantedEdge> edges = [new PlantedEdge("0.0", "1.0:k"), new PlantedEdge("1.0", "2.0:q"), new PlantedEdge("2.0", "logits")];
        if (!backup) return new PlantedModel("ioi", e.Weights, heads, edges);

        // 3.0 backup name mover: head dim 0 the name bonus, dims 1..64 the suppression of keys whose token is in I or in END's T, dim 127 the sink
        const float backupNames = 2f, backupAway = 12f, said = 3f, backupSink = 1.5f;
        e.Read(3, 0, 0, 0, C0, backupNames);
        e.Read(3, 0, 1, 0, Name, backupNames);
        for (int d = 0; d < Width; d++)
        {
            e.Read(3, 0, 0, 1 + d, IoiI + d, backupAway);
            e.Read(3, 0, 0, 1 + d, Tok + d, said);
            e.Read(3, 0, 1, 1 + d, Tok + d, -1f);
            e.Read(3, 0, 2, d, Tok + d, 1f);
            e.Write(3, 0, d, Tok + d, 0.6f);
        }
        e.Read(3, 0, 0, 127, C0, backupSink);
        e.Read(3, 0, 1, 127, IoiP, backupSink);
        heads.Add(new CircuitHead(new HeadId(3, 0), "backup name mover", CircuitPositions.All));
        edges.Add(new PlantedEdge("2.0", "3.0:q"));
        return new PlantedModel("ioi-backup", e.Weights, heads, edges);
    }

    // e_t ~ N(0, 1/64) in T: nearly orthogonal unit-norm vectors for the whole vocabulary
    private static void RandomTokenEmbeddings(WeightEditor e, int vocab, int seed)
    {
        var rng = new Random(seed);
        for (int t = 0; t < vocab; t++)
        {
            var row = e.TokenEmbedding(t);
            for (int d = 0; d < Width; d++) row[Tok + d] = (float)(Gaussian(rng) / Math.Sqrt(Width));
        }
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
