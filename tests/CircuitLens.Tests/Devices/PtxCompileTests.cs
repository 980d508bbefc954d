// Every backward, attribution and forward kernel compiled to PTX (sm_80, PTX ISA 8.0: runs on Ampere and Hopper) by ILGPU's CUDA backend,
// on any machine: ILGPU's CPU accelerator runs kernels as .NET code, so a construct the CUDA backend
// cannot translate would otherwise only show on a GPU. No CUDA driver or device is needed to compile.
using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using CircuitLens.Model.Devices;

namespace CircuitLens.Tests.Devices;

public class PtxCompileTests
{
    public static TheoryData<string> BackwardAndAttributionKernels => new()
    {
        nameof(IlgpuKernels.LayerNormBackward), nameof(IlgpuKernels.GeluTanhBackward), nameof(IlgpuKernels.GeluErfBackward),
        nameof(IlgpuKernels.AttentionPatternBackward), nameof(IlgpuKernels.SoftmaxBackward), nameof(IlgpuKernels.AttentionQueryBackward),
        nameof(IlgpuKernels.AttentionKeyValueBackward), nameof(IlgpuKernels.MergeQkv), nameof(IlgpuKernels.SeedLastRows),
        nameof(IlgpuKernels.SegmentDotPerPosition), nameof(IlgpuKernels.SegmentDotOverPositions),
        nameof(IlgpuKernels.GatherRowsForward), nameof(IlgpuKernels.GatherRowsDifference),
    };

    // the forward kernels the backward pass reads from, too (the tiled GEMM is explicitly grouped, with shared memory)
    public static TheoryData<string> ForwardKernels => new()
    {
        nameof(IlgpuKernels.GemmTiled), nameof(IlgpuKernels.GemmRowCol), nameof(IlgpuKernels.AddBiasRows), nameof(IlgpuKernels.EmbedForward),
        nameof(IlgpuKernels.AddForward), nameof(IlgpuKernels.LayerNormScaleForward), nameof(IlgpuKernels.LayerNormNormalizeForward),
        nameof(IlgpuKernels.SplitQkv), nameof(IlgpuKernels.AttentionScoresForward), nameof(IlgpuKernels.SoftmaxForward),
        nameof(IlgpuKernels.AttentionValuesForward), nameof(IlgpuKernels.HeadResultForward), nameof(IlgpuKernels.SumHeadsForward),
        nameof(IlgpuKernels.GeluTanhForward), nameof(IlgpuKernels.GeluErfForward), nameof(IlgpuKernels.GatherLastForward),
    };

    [Theory, MemberData(nameof(BackwardAndAttributionKernels)), MemberData(nameof(ForwardKernels))]
    public void CompilesToPtx(string kernel)
    {
        var compiled = Compile(typeof(IlgpuKernels).GetMethod(kernel, BindingFlags.Public | BindingFlags.Static)!, explicitlyGrouped: kernel == nameof(IlgpuKernels.GemmTiled));
        Assert.Contains($".entry Kernel_{kernel}(", compiled);
        Assert.Contains(".target sm_80", compiled);
    }

    // the check is not vacuous: a kernel that allocates a managed array on the device does not compile
    [Fact]
    public void AKernelTheCudaBackendCannotTranslateFails()
    {
        var e = Assert.ThrowsAny<Exception>(() => Compile(typeof(PtxCompileTests).GetMethod(nameof(AllocatingKernel), BindingFlags.NonPublic | BindingFlags.Static)!));
        Assert.Contains(nameof(AllocatingKernel), e.Message + " " + e.InnerException?.Message);
    }

    private static void AllocatingKernel(Index1D i, ArrayView<float> a)
    {
        var scratch = new float[i + 1];
        a[i] = scratch.Length;
    }

    private static string Compile(MethodInfo kernel, bool explicitlyGrouped = false)
    {
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms());
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, null!);
        var entry = explicitlyGrouped ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel) : EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
        return ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
    }
}
