// The greater-than circuit Hanna et al. report in GPT-2 small (REFERENCE.md §6): attention heads 5.1,
// 5.5, 6.9, 7.10, 8.8, 8.11, 9.1 and MLPs 8–11. For a model of another shape the experiment uses the
// run's own strongest components instead (Discovered), so the year-probability figure stays meaningful.
namespace CircuitLens.Tasks.GreaterThan;

public sealed record GreaterThanCircuit(string Name, IReadOnlyList<(int Layer, int Head)> Heads, IReadOnlyList<int> MlpLayers)
{
    public static GreaterThanCircuit Reported { get; } = new("reported circuit (Hanna et al.)",
        [(5, 1), (5, 5), (6, 9), (7, 10), (8, 8), (8, 11), (9, 1)], [8, 9, 10, 11]);

    /// <summary>True when the model has the layers and heads the reported circuit names (GPT-2 small's 12×12).</summary>
    public static bool FitsReported(int layers, int heads) => layers == 12 && heads == 12;

    public override string ToString() =>
        $"{Name}: heads {string.Join(", ", Heads.Select(h => $"{h.Layer}.{h.Head}"))}; MLPs {string.Join(", ", MlpLayers)}";
}
