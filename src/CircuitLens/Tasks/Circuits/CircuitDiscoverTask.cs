// `circuit discover` as a library call: edge attribution (EAP or EAP-IG) on the pairs, then the top-K
// edges (or those with |score| ≥ a threshold) as a circuit: every head they touch, classed from an
// optional circuit file. Writes edges.csv (every edge), edges.json (the kept ones), circuit.json
// (checkable by `circuit check`) and graph.svg.
using System.Globalization;
using System.Text;
using System.Text.Json;
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Reports;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;
using CircuitLens.Tasks.Runs;

namespace CircuitLens.Tasks.Circuits;

public sealed record CircuitDiscoverOptions
{
    public required string PairsPath { get; init; }
    public EdgeMethod Method { get; init; } = EdgeMethod.Eap;
    public int Steps { get; init; } = 5;
    /// <summary>Keep the K strongest edges (default 20 when no threshold is given).</summary>
    public int? Top { get; init; }
    public double? Threshold { get; init; }
    /// <summary>A circuit file or built-in whose classes colour and label the found heads.</summary>
    public string? Classes { get; init; }
    public bool PrependBos { get; init; } = true;
}

public static class CircuitDiscoverTask
{
    public static (EdgeAttributionResult Edges, Circuit Circuit) Run(HookedTransformer model, CircuitDiscoverOptions options, string outDir, CancellationToken ct = default)
    {
        if (options.Top is not null && options.Threshold is not null) throw new CircuitLensException("give --top or --threshold, not both");
        if (options.Top is < 1) throw new CircuitLensException("--top must be at least 1");
        var classes = options.Classes is null ? null : Circuit.Load(options.Classes, model.Config.NLayers, model.Config.NHeads);
        var data = PairFile.Read(options.PairsPath).Tokenize(model, options.PrependBos).ToPatchingBatch();
        using var hold = RunLock.Acquire(outDir);   // inputs checked: from here the output directory is this run's alone
        var result = EdgeAttribution.Run(model, data, options.Method, options.Steps, ct: ct);
        var ranked = result.Ranked();
        var kept = options.Threshold is { } th ? ranked.Where(e => Math.Abs(e.Score) >= th).ToList() : ranked.Take(options.Top ?? 20).ToList();
        var circuit = ToCircuit(kept, classes, $"discovered ({options.Method.ToString().ToLowerInvariant()})");
        Write(outDir, result, kept, circuit, classes, model, options, data.Metric.Name);
        return (result, circuit);
    }

    /// <summary>The heads the edges touch (senders and receivers), classed from <paramref name="classes"/> when it names them.</summary>
    public static Circuit ToCircuit(IReadOnlyList<EdgeScore> edges, Circuit? classes, string name)
    {
        var heads = edges.SelectMany(e => new[] { e.Sender, e.Receiver.IsLogits ? GraphNode.Input : e.Receiver.Node })
            .Where(n => !n.IsInput && !n.IsMlp).Distinct().Select(n => new HeadId(n.Layer, n.Head)).Order().ToList();
        return new Circuit(name, heads.Select(h => new CircuitHead(h, classes?.Heads.FirstOrDefault(c => c.Head == h)?.Class ?? "discovered", CircuitPositions.All)).ToList());
    }

    private static void Write(string outDir, EdgeAttributionResult result, IReadOnlyList<EdgeScore> kept, Circuit circuit, Circuit? classes,
        HookedTransformer model, CircuitDiscoverOptions options, string metric)
    {
        Directory.CreateDirectory(outDir);
        var ci = CultureInfo.InvariantCulture;
        var csv = new StringBuilder("sender,receiver,score\n");
        foreach (var e in result.Ranked()) csv.Append(ci, $"{e.Sender},{e.Receiver},{e.Score.ToString("R", ci)}\n");
        AtomicFile.WriteAllText(Path.Combine(outDir, "edges.csv"), csv.ToString());
        AtomicFile.WriteAllText(Path.Combine(outDir, "edges.json"), JsonSerializer.Serialize(new
        {
            model = model.Config.ModelName, pairs = options.PairsPath, metric, method = options.Method == EdgeMethod.Eap ? "eap" : "eap-ig", steps = result.Steps,
            prepend_bos = options.PrependBos, selection = options.Threshold is { } t ? $"|score| >= {t.ToString(ci)}" : $"top {options.Top ?? 20}",
            score = "mean over pairs of sum over positions of (corrupt - clean sender output) . d metric / d receiver input",
            edges = kept.Select(e => new { sender = e.Sender.ToString(), receiver = e.Receiver.ToString(), score = e.Score }),
        }, new JsonSerializerOptions { WriteIndented = true }));
        AtomicFile.WriteAllText(Path.Combine(outDir, "circuit.json"), circuit.ToJson() + "\n");

        int L = model.Config.NLayers, H = model.Config.NHeads;
        string Id(GraphNode n) => n.ToString();
        var nodes = new Dictionary<string, GraphNodeView>();
        void AddNode(GraphNode n)
        {
            if (nodes.ContainsKey(Id(n))) return;
            string? cls = n.IsInput || n.IsMlp ? null : circuit.Heads.FirstOrDefault(h => h.Head == new HeadId(n.Layer, n.Head))?.Class;
            nodes[Id(n)] = new GraphNodeView(Id(n), Id(n), n.IsInput ? 0 : n.Layer + 1, n.IsInput ? 0 : n.IsMlp ? H : n.Head, classes is null ? null : cls);
        }
        var edges = new List<GraphEdgeView>();
        foreach (var e in kept)
        {
            AddNode(e.Sender);
            string to;
            if (e.Receiver.IsLogits) { to = "logits"; nodes.TryAdd(to, new GraphNodeView(to, "logits", L + 1, 0, null)); }
            else { AddNode(e.Receiver.Node); to = Id(e.Receiver.Node); }
            edges.Add(new GraphEdgeView(Id(e.Sender), to, e.Score));
        }
        AtomicFile.WriteAllText(Path.Combine(outDir, "graph.svg"), CircuitGraphSvg.Render($"{circuit.Name}: {kept.Count} edges", nodes.Values.ToList(), edges));
    }
}
