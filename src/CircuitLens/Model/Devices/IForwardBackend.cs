// The seam under HookedTransformer: something that runs the GPT-2 forward pass with hooks. The CPU
// engine (Gpt2Forward) is used directly and does not go through this interface; device backends do.
using CircuitLens.Hooks;

namespace CircuitLens.Model.Devices;

internal interface IForwardBackend : IDisposable
{
    /// <summary>"cuda: NVIDIA H100 (…), GEMM cuBLAS" — what runs, for logs and run records.</summary>
    string Description { get; }

    /// <summary>Device memory this backend holds now: the uploaded weights and the activation arena.</summary>
    long AllocatedBytes { get; }

    /// <summary>The device's fp32 peak in GFLOP/s when known (CUDA: SMs × FP32 lanes per SM × 2 × clock), else null.</summary>
    double? PeakGflops { get; }

    /// <summary>Same contract as Gpt2Forward.Run: hooks see host tensors with TransformerLens shapes and may edit them.</summary>
    ForwardResult Run(TokenBatch batch, ForwardOptions options, HookRegistry hooks);
}
