// A GPT-2 checkpoint whose circuit is known by construction (tracr / InterpBench style), and its truth:
// the planted heads with their roles (a circuit file: "heads" with "class") and the planted edges.
// Weights are set by hand in named residual subspaces; every head and MLP not planted is zero, so it
// reads nothing and writes nothing.
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Circuits.Toy;

/// <summary>One planted edge: from a head's output to a receiver ("L.H:q|k|v" or "logits").</summary>
public sealed record PlantedEdge(string Sender, string Receiver);

public sealed class PlantedModel
{
    public string Kind { get; }
    public Gpt2Weights Weights { get; }
    public IReadOnlyList<CircuitHead> Heads { get; }
    public IReadOnlyList<PlantedEdge> Edges { get; }

    public PlantedModel(string kind, Gpt2Weights weights, IReadOnlyList<CircuitHead> heads, IReadOnlyList<PlantedEdge> edges)
    {
        Kind = kind; Weights = weights; Heads = heads; Edges = edges;
    }

    public HookedTransformer ToModel() => new(Weights);

    public Circuit Circuit => new($"toy-{Kind}", Heads);

    /// <summary>truth.json: a circuit file (name, heads with class and positions) plus the planted edges.</summary>
    public string TruthJson()
    {
        var root = JsonNode.Parse(Circuit.ToJson())!.AsObject();
        root["kind"] = Kind;
        root["edges"] = new JsonArray([.. Edges.Select(e => (JsonNode)new JsonObject { ["sender"] = e.Sender, ["receiver"] = e.Receiver })]);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes DIR/model (config.json + model.safetensors) and DIR/truth.json.</summary>
    public void Write(string dir)
    {
        CheckpointWriter.Write(Path.Combine(dir, "model"), Weights);
        AtomicFile.WriteAllText(Path.Combine(dir, "truth.json"), TruthJson() + "\n");
    }
}
