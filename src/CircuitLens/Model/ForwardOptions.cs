// What one forward pass computes: which layers, and at which positions the (expensive) unembedding runs.
using CircuitLens.Tensors;

namespace CircuitLens.Model;

public enum LogitsMode
{
    /// <summary>Logits at every position: (B,T,V).</summary>
    All,
    /// <summary>Logits at the last position only: (B,1,V). With left padding that is every row's prediction.</summary>
    LastPosition,
    /// <summary>No unembedding (e.g. when stopping early or only caching).</summary>
    None,
}

public sealed record ForwardOptions
{
    /// <summary>First layer to run. When &gt; 0, <see cref="StartResidual"/> is that layer's resid_pre (B,T,C).</summary>
    public int StartAtLayer { get; init; }
    public Tensor? StartResidual { get; init; }
    /// <summary>Stop before this layer: the result's Residual is its resid_pre and no logits are computed.</summary>
    public int? StopAtLayer { get; init; }
    public LogitsMode Logits { get; init; } = LogitsMode.All;

    public static ForwardOptions Default { get; } = new();
}

public sealed record ForwardResult(Tensor? Logits, Tensor Residual);
