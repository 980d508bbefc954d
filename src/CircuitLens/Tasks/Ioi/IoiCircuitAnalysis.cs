// The circuit step of `circuitlens ioi`, in the paper's setting (source = the kept pairs with ABC corruptions): head detectors
// (previous-token, duplicate-token, induction on repeated random tokens; END→IO/S attention and copy
// scores on the IOI prompts), path patching to the logits and to the name movers' queries, the knock-out
// of the name movers (IoiBackupNameMovers: every other head's direct effect with them mean-ablated), the heads
// sorted into the paper's classes by IoiHeadClassifier, side by side with the paper's 26 heads, and
// `circuit check` (mean ablation over the ABC prompts, per template) of the found circuit and — on a
// 12 × 12 model — of the paper's. Writes DIR/circuit/: abc.jsonl, detectors.npy, roles.npy,
// path-patch-logits/, path-patch-name-movers/, classes.json, circuit-found.json, check-found.json
// (+ check-found/), check-paper.json (+ check-paper/); returns report tables.
using System.Globalization;
using System.Text.Json;
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Circuits;
using CircuitLens.Tensors;

namespace CircuitLens.Tasks.Ioi;

public sealed record IoiCircuitAnalysisOptions
{
    /// <summary>Seeds the ABC names and the detectors' random tokens.</summary>
    public int Seed { get; init; }
    public bool PrependBos { get; init; } = true;
    /// <summary>At most this many ABC pairs are path-patched and ablated (the cost grows with it).</summary>
    public int MaxPairs { get; init; } = 50;
    /// <summary>END attention and copy scores use the first this many pairs (the copy score unembeds every name position through every head).</summary>
    public int RolePairs { get; init; } = 10;
    public int DetectorSequences { get; init; } = 10;
    public int DetectorLength { get; init; } = 20;
    public IoiClassRule Rule { get; init; } = new();
    public CircuitCheckOptions Check { get; init; } = new() { RandomSubsets = 2, GreedySteps = 1 };
}

public sealed record IoiCircuitAnalysisResult(IoiHeadMeasurements Measurements, IReadOnlyDictionary<HeadId, string> Classes, IReadOnlyList<HeadId> Receivers,
    CircuitCheckResult Found, CircuitCheckResult? Paper, int Pairs, IReadOnlyList<(string Heading, string[] Header, IReadOnlyList<string[]> Rows)> Tables);

public static class IoiCircuitAnalysis
{
    public const string Directory = "circuit";

    /// <param name="kept">The pairs the run kept (their corruptions are replaced by ABC ones).</param>
    public static IoiCircuitAnalysisResult Run(HookedTransformer model, IReadOnlyList<IoiPair> kept, string runDir, IoiCircuitAnalysisOptions options,
        Action<string>? log = null, CancellationToken ct = default)
    {
        log ??= _ => { };
        var cfg = model.Config;
        int L = cfg.NLayers, H = cfg.NHeads;
        string dir = Path.Combine(runDir, Directory);
        System.IO.Directory.CreateDirectory(dir);

        // the pairs: the run's kept pairs with ABC corruptions (three fresh names in the IO, S1 and S2 slots), equal token lengths only
        var rng = new Random(options.Seed);
        var names = IoiVocabulary.Names.Where(n => model.Tokenizer.TryGetSingleToken(" " + n, out _)).ToList();
        var chosen = kept.Select(p => WithAbcCorruption(p, names, rng)).OfType<IoiPair>()
            .Where(p => model.ToTokens(p.Clean, options.PrependBos).Length == model.ToTokens(p.Corrupt, options.PrependBos).Length)
            .Take(options.MaxPairs).ToList();
        if (chosen.Count == 0) throw new CircuitLensException("circuit analysis: no kept pair could be given an ABC corruption of the same token length; rerun with --no-circuit");
        string abcPath = Path.Combine(dir, "abc.jsonl");
        IoiJsonl.Write(abcPath, chosen);
        var tokenized = new IoiTokenizedPairs(model, chosen, options.PrependBos, abcPath);
        var data = tokenized.ToPatchingBatch(abcPath);
        log($"circuit: {chosen.Count} ABC pairs");

        // detectors
        var detectors = HeadDetectors.Score(model, HeadDetectors.RepeatedRandomTokens(options.DetectorSequences, options.DetectorLength, options.Seed, options.PrependBos, cfg.VocabSize));
        var roles = IoiHeadRoles.Score(model, chosen.Count <= options.RolePairs ? data
            : new IoiTokenizedPairs(model, chosen.Take(options.RolePairs).ToList(), options.PrependBos, abcPath).ToPatchingBatch(abcPath));
        ct.ThrowIfCancellationRequested();
        log("circuit: path patching → logits");
        var toLogits = PathPatching.Run(model, data, PathReceivers.Logits, ct: ct);
        var partial = new IoiHeadMeasurements(detectors[HeadDetector.PreviousToken], detectors[HeadDetector.DuplicateToken], detectors[HeadDetector.Induction],
            roles.EndToIo, roles.EndToS, roles.CopyScore, roles.NegativeCopyScore, toLogits.NormalizedMean(), null);
        var receivers = IoiHeadClassifier.Receivers(partial, options.Rule);
        PathPatchingResult? toQueries = null;
        if (receivers.Count > 0)
        {
            var spec = PathReceivers.ForHeads(receivers.Select(h => new ReceiverInput(h, Hooks.HookPoint.Q)).ToList());
            log($"circuit: path patching → {spec}");
            toQueries = PathPatching.Run(model, data, spec, ct: ct);
        }
        var m = partial with { ToNameMoverQueries = toQueries?.NormalizedMean() };

        // mean ablation over the ABC prompts, per template: the knock-out of the name movers (backup name movers) and the circuit check
        var groups = chosen.Select(p => p.Template).ToList();
        var ablation = new CircuitAblation(model, new PatchingBatch(tokenized.Clean, tokenized.Clean, data.Metric), AblationKind.Mean, tokenized.Corrupt.ToList(), groups, groups, options.Check.Seed);
        var nameMovers = IoiHeadClassifier.NameMovers(m, options.Rule);
        if (nameMovers.Count > 0)
        {
            log($"circuit: knock-out of the name movers {string.Join(" ", nameMovers)} → direct effects");
            double gap = toLogits.Clean.Average(x => (double)x) - toLogits.Corrupt.Average(x => (double)x);
            m = m with { KnockoutDirectEffect = IoiBackupNameMovers.DirectEffectIncrease(model, data, ablation, nameMovers, gap), KnockedOut = nameMovers };
        }
        var classes = IoiHeadClassifier.Classify(m, options.Rule);

        log("circuit: circuit check");
        var found = FoundCircuit(classes, L, H);
        var foundCheck = CircuitCheck.Run(ablation, found, L, H, options.Check, ct: ct);
        Circuit? paper = L == 12 && H == 12 ? Circuit.Load("ioi-paper", L, H) : null;
        var paperCheck = paper is null ? null : CircuitCheck.Run(ablation, paper, L, H, options.Check, ct: ct);

        // files
        var ppOptions = new PathPatchOptions { PairsPath = abcPath, Receivers = "logits", PrependBos = options.PrependBos, Plots = false };
        PathPatchTask.Write(Path.Combine(dir, "path-patch-logits"), toLogits, cfg.ModelName, ppOptions);
        if (toQueries is not null)
            PathPatchTask.Write(Path.Combine(dir, "path-patch-name-movers"), toQueries, cfg.ModelName, ppOptions with { Receivers = toQueries.Receivers.ToString() });
        NpyFile.Write(Path.Combine(dir, "detectors.npy"), Stack(m.PreviousToken, m.DuplicateToken, m.Induction));
        NpyFile.Write(Path.Combine(dir, "roles.npy"), Stack(m.EndToIo, m.EndToS, m.CopyScore, m.NegativeCopyScore));
        var paperClasses = PaperClasses();
        WriteClasses(Path.Combine(dir, "classes.json"), m, classes, receivers, options, chosen.Count, paperClasses, cfg.ModelName);
        AtomicFile.WriteAllText(Path.Combine(dir, "circuit-found.json"), found.ToJson() + "\n");
        WriteCheck(dir, "found", found, foundCheck, abcPath, data.Metric.Name, cfg.ModelName, options);
        if (paper is not null) WriteCheck(dir, "paper", paper, paperCheck!, abcPath, data.Metric.Name, cfg.ModelName, options);

        var tables = Tables(m, classes, receivers, options, chosen.Count, foundCheck, paperCheck, paperClasses, L);
        return new IoiCircuitAnalysisResult(m, classes, receivers, foundCheck, paperCheck, chosen.Count, tables);
    }

    /// <summary>
    /// The pair with an ABC corruption: each IO and S mention in the clean prompt replaced — IO by C, the first
    /// S by D, later ones by E — three names drawn from <paramref name="names"/> other than IO and S. Null when
    /// the pair does not name its IO and S or they do not both occur in the prompt.
    /// </summary>
    public static IoiPair? WithAbcCorruption(IoiPair pair, IReadOnlyList<string> names, Random rng)
    {
        if (string.IsNullOrEmpty(pair.Io) || string.IsNullOrEmpty(pair.S)) return null;
        var others = names.Where(n => n != pair.Io && n != pair.S).ToList();
        if (others.Count < 3) return null;
        var drawn = new List<string>();
        while (drawn.Count < 3) { string n = others[rng.Next(others.Count)]; if (!drawn.Contains(n)) drawn.Add(n); }
        int sSeen = 0; bool ioSeen = false;
        var pattern = new System.Text.RegularExpressions.Regex($@"\b(?:{System.Text.RegularExpressions.Regex.Escape(pair.Io)}|{System.Text.RegularExpressions.Regex.Escape(pair.S)})\b");
        string corrupt = pattern.Replace(pair.Clean, m =>
        {
            if (m.Value == pair.Io) { ioSeen = true; return drawn[0]; }
            return drawn[sSeen++ == 0 ? 1 : 2];
        });
        if (!ioSeen || sSeen < 2) return null;
        return pair with { Corrupt = corrupt, Corruption = IoiOptionText.Format(IoiCorruption.Abc) };
    }

    /// <summary>The found heads as a circuit, each kept at its class's position in the paper (END, S2, S1+1); every MLP kept.</summary>
    public static Circuit FoundCircuit(IReadOnlyDictionary<HeadId, string> classes, int nLayers, int nHeads)
    {
        var heads = string.Join(",\n", classes.Select(kv => $"    {{\"head\": \"{kv.Key}\", \"class\": \"{kv.Value}\", \"positions\": [\"{IoiHeadClassifier.Position(kv.Value)}\"]}}"));
        return Circuit.Parse($"{{\n  \"name\": \"ioi-found\",\n  \"heads\": [\n{heads}\n  ]\n}}", "found circuit", nLayers, nHeads);
    }

    /// <summary>The paper's 26 heads by head ("9.9" → "name mover").</summary>
    public static IReadOnlyDictionary<string, string> PaperClasses() =>
        Circuit.Load("ioi-paper", 12, 12).Heads.ToDictionary(h => h.Head.ToString(), h => h.Class);

    private static Tensor Stack(params Tensor[] maps)
    {
        int L = maps[0].Dim(0), H = maps[0].Dim(1);
        var t = Tensor.Zeros(maps.Length, L, H);
        for (int i = 0; i < maps.Length; i++) maps[i].Data.AsSpan().CopyTo(t.Data.AsSpan(i * L * H, L * H));
        return t;
    }

    private static double? Finite(float x) => float.IsFinite(x) ? x : null;

    private static void WriteClasses(string path, IoiHeadMeasurements m, IReadOnlyDictionary<HeadId, string> classes, IReadOnlyList<HeadId> receivers,
        IoiCircuitAnalysisOptions options, int pairs, IReadOnlyDictionary<string, string> paper, string modelName)
    {
        var heads = new List<Dictionary<string, object?>>();
        for (int l = 0; l < m.Layers; l++)
            for (int h = 0; h < m.Heads; h++)
            {
                var id = new HeadId(l, h);
                heads.Add(new Dictionary<string, object?>
                {
                    ["head"] = id.ToString(), ["class"] = classes.TryGetValue(id, out var c) ? c : null,
                    ["paper_class"] = m.Layers == 12 && m.Heads == 12 && paper.TryGetValue(id.ToString(), out var pc) ? pc : null,
                    ["path_to_logits"] = Finite(m.ToLogits[l, h]), ["path_to_name_mover_queries"] = m.ToNameMoverQueries is { } q ? Finite(q[l, h]) : null,
                    ["knockout_direct_effect_growth"] = m.KnockoutDirectEffect is { } g ? Finite(g[l, h]) : null,
                    ["end_to_io"] = m.EndToIo[l, h], ["end_to_s"] = m.EndToS[l, h], ["copy_score"] = m.CopyScore[l, h], ["negative_copy_score"] = m.NegativeCopyScore[l, h],
                    ["previous_token"] = m.PreviousToken[l, h], ["duplicate_token"] = m.DuplicateToken[l, h], ["induction"] = m.Induction[l, h],
                });
            }
        var r = options.Rule;
        var json = new Dictionary<string, object?>
        {
            ["model"] = modelName, ["layers"] = m.Layers, ["heads_per_layer"] = m.Heads, ["pairs"] = pairs, ["source"] = "ABC corruptions",
            ["prepend_bos"] = options.PrependBos, ["receivers"] = receivers.Select(h => $"{h}:q").ToList(),
            ["knocked_out"] = m.KnockedOut.Select(h => h.ToString()).ToList(),
            ["thresholds"] = new Dictionary<string, object>
            {
                ["path_fraction"] = r.PathFraction, ["path_floor"] = r.PathFloor, ["copy"] = r.CopyThreshold, ["detector"] = r.DetectorThreshold,
                ["max_per_detector_class"] = r.MaxPerDetectorClass, ["max_receivers"] = r.MaxReceivers,
            },
            ["layer_ranges"] = new[] { IoiHeadClassifier.Induction, IoiHeadClassifier.DuplicateToken, IoiHeadClassifier.PreviousToken }
                .ToDictionary(c => c, c => { var (lo, hi) = IoiHeadClassifier.LayerRange(c, m.Layers); return new[] { lo, hi }; }),
            ["rule"] = IoiHeadClassifier.Describe(r, m.Layers).ToDictionary(x => x.Class, x => x.Rule),
            ["classes"] = IoiHeadClassifier.Classes.ToDictionary(c => c, c => classes.Where(kv => kv.Value == c).Select(kv => kv.Key.ToString()).ToList()),
            ["measurements"] = new Dictionary<string, string>
            {
                ["path_to_logits"] = "path patching (ABC source) to the logits, (patched - clean)/(clean - corrupt) of the batch means; null = no path",
                ["path_to_name_mover_queries"] = "the same to the receivers' queries",
                ["knockout_direct_effect_growth"] = "(direct effect on the logit difference with the knocked_out heads mean-ablated - without) / (clean - corrupt); null = knocked out or not measured",
                ["end_to_io"] = "mean attention from END to IO", ["end_to_s"] = "mean attention from END to S1 and S2",
                ["copy_score"] = "share of names among the top 5 of the head's OV output through the unembedding",
                ["previous_token"] = "head detector score on repeated random tokens", ["duplicate_token"] = "head detector score", ["induction"] = "head detector score",
            },
            ["heads"] = heads,
        };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static void WriteCheck(string dir, string which, Circuit circuit, CircuitCheckResult result, string abcPath, string metric, string modelName, IoiCircuitAnalysisOptions options)
    {
        string sub = Path.Combine(dir, $"check-{which}");
        var taskOptions = new CircuitCheckTaskOptions { PairsPath = abcPath, Circuit = circuit.Name, PrependBos = options.PrependBos, Check = options.Check };
        CircuitCheckTask.Write(sub, circuit, result, taskOptions, $"{abcPath} (corrupt prompts: ABC)", metric, modelName);
        AtomicFile.WriteAllText(Path.Combine(dir, $"check-{which}.json"), File.ReadAllText(Path.Combine(sub, "check.json")));
    }

    private static IReadOnlyList<(string, string[], IReadOnlyList<string[]>)> Tables(IoiHeadMeasurements m, IReadOnlyDictionary<HeadId, string> classes,
        IReadOnlyList<HeadId> receivers, IoiCircuitAnalysisOptions options, int pairs, CircuitCheckResult found, CircuitCheckResult? paper,
        IReadOnlyDictionary<string, string> paperClasses, int nLayers)
    {
        var ci = CultureInfo.InvariantCulture;
        string F(float x) => float.IsFinite(x) ? x.ToString("F3", ci) : "–";
        bool paperModel = m.Layers == 12 && m.Heads == 12;
        var tables = new List<(string, string[], IReadOnlyList<string[]>)>();
        tables.Add(("Circuit analysis: setup", ["quantity", "value"],
        [
            ["pairs", $"{pairs} pairs: the run's kept prompts (at most {options.MaxPairs}) with ABC corruptions (IO, S1, S2 → three other names), mean ablation per template over their corrupted prompts"],
            ["detector sequences", $"{options.DetectorSequences} repeated random blocks of {options.DetectorLength} tokens; END attention and copy scores on the first {Math.Min(pairs, options.RolePairs)} pairs"],
            ["knocked out (backup name movers)", m.KnockedOut.Count == 0 ? "none (no name mover found)" : $"{string.Join(", ", m.KnockedOut)}: mean-ablated, every other head's direct effect on the logit difference measured again"],
            ["receivers of the second path patching", receivers.Count == 0 ? "none (no head lowers the logit difference directly above layer 0)" : string.Join(", ", receivers.Select(h => $"{h}:q"))],
            ["circuit check", $"{options.Check.RandomSubsets} random subsets, {options.Check.GreedySteps} greedy step(s)"],
            ["files", $"{Directory}/classes.json, check-found.json, check-paper.json, path-patch-logits/, path-patch-name-movers/, detectors.npy, roles.npy"],
        ]));
        tables.Add(("Circuit analysis: classification rule", ["class", "rule"], IoiHeadClassifier.Describe(options.Rule, nLayers).Select(x => new[] { x.Class, x.Rule }).ToList()));
        var shown = classes.Keys.Concat(paperModel ? paperClasses.Keys.Select(k => HeadId.Parse(k, 12, 12)) : []).Distinct().Order().ToList();
        tables.Add(("Circuit analysis: heads found" + (paperModel ? " and the paper's 26" : ""),
            ["head", "found class", "paper class", "path → logits", "path → NM q", "knock-out growth", "END→IO", "END→S", "copy", "prev-token", "dup-token", "induction"],
            shown.Select(h => new[]
            {
                h.ToString(), classes.TryGetValue(h, out var c) ? c : "", paperModel && paperClasses.TryGetValue(h.ToString(), out var pc) ? pc : "",
                F(m.ToLogits[h.Layer, h.Head]), m.ToNameMoverQueries is { } q ? F(q[h.Layer, h.Head]) : "–",
                m.KnockoutDirectEffect is { } g ? F(g[h.Layer, h.Head]) : "–",
                F(m.EndToIo[h.Layer, h.Head]), F(m.EndToS[h.Layer, h.Head]), F(m.CopyScore[h.Layer, h.Head]),
                F(m.PreviousToken[h.Layer, h.Head]), F(m.DuplicateToken[h.Layer, h.Head]), F(m.Induction[h.Layer, h.Head]),
            }).ToList()));
        if (paperModel)
            tables.Add(("Circuit analysis: found vs the paper, by class", ["class", "found", "paper", "in both"],
                IoiHeadClassifier.Classes.Concat(paperClasses.Values.Distinct().Where(c => !IoiHeadClassifier.Classes.Contains(c))).Select(cls =>
                {
                    var f = classes.Where(kv => kv.Value == cls).Select(kv => kv.Key.ToString()).ToList();
                    var p = paperClasses.Where(kv => kv.Value == cls).Select(kv => kv.Key).ToList();
                    return new[] { cls, string.Join(" ", f), string.Join(" ", p), string.Join(" ", f.Intersect(p)) };
                }).ToList()));
        string[] Row(string name, int heads, CircuitCheckResult r) =>
        [
            name, heads.ToString(ci), r.FModel.ToString("F4", ci), r.FCircuit.ToString("F4", ci), r.FEmpty.ToString("F4", ci), r.Faithfulness.ToString("F4", ci),
            r.FModel == 0 ? "–" : (r.Faithfulness / Math.Abs(r.FModel)).ToString("P1", ci),
            r.Minimality.Count == 0 ? "–" : r.Minimality.Min(x => x.Score).ToString("F4", ci),
            r.Completeness.Count == 0 ? "–" : r.Completeness.Max(x => x.Score).ToString("F4", ci),
        ];
        var checks = new List<string[]> { Row("found", classes.Count, found) };
        if (paper is not null) checks.Add(Row("ioi-paper", 26, paper));
        tables.Add(("Circuit analysis: circuit check (mean ablation over ABC)" + (paper is null ? "; the paper's circuit needs 12 layers × 12 heads" : ""),
            ["circuit", "heads", "F(M)", "F(C)", "F(∅)", "|F(M) − F(C)|", "of |F(M)|", "least minimality", "worst completeness"], checks));
        return tables;
    }
}
