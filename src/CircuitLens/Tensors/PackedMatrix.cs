// A constant right-hand matrix (a weight) stored once in the GEMM kernel's panel layout, so every
// product with it skips the packing step. Built only by Gemm.Pack / Gemm.PackTransposed.
// Layout: ceil(N/32) panels of 32 columns; panel j holds, for k = 0..K-1, the 32 floats
// B[k, 32j .. 32j+31] contiguously (columns past N are zero). It is not a general tensor view.
namespace CircuitLens.Tensors;

public sealed class PackedMatrix
{
    /// <summary>Inner (reduction) dimension: a product with this matrix takes an (M,K) left operand.</summary>
    public int K { get; }

    /// <summary>Output columns: a product with this matrix writes an (M,N) result.</summary>
    public int N { get; }

    // Pinned so the kernels can hold a raw pointer without a fixed block per panel.
    internal float[] Panels { get; }

    internal int PanelCount => (N + GemmKernels.NR - 1) / GemmKernels.NR;

    internal PackedMatrix(int k, int n)
    {
        K = k;
        N = n;
        long length = (long)((n + GemmKernels.NR - 1) / GemmKernels.NR) * GemmKernels.NR * k;
        if (length > Array.MaxLength) throw new ArgumentException($"matrix ({k},{n}) is too large to pack");
        Panels = GC.AllocateUninitializedArray<float>((int)Math.Max(length, 1), pinned: true);
    }
}
