// One ILGPU accelerator (a CUDA GPU or ILGPU's CPU accelerator) with the forward kernels compiled for
// it and the GEMM it runs: cuBLAS when the accelerator is CUDA and libcublas loads (through
// ILGPU.Algorithms' P/Invoke binding), else the tiled shared-memory kernel. Owns the ILGPU context.
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace CircuitLens.Model.Devices;

internal enum GemmKernel { CuBlas, Tiled, RowCol }

internal sealed partial class IlgpuDevice : IDisposable
{
    private readonly Context _context;
    private readonly CuBlas? _cublas;

    public Accelerator Accelerator { get; }
    public DeviceKind Kind { get; }
    /// <summary>Which GEMM runs: cuBLAS, the tiled kernel, or (ILGPU's CPU accelerator) the row·column kernel.</summary>
    public GemmKernel GemmKernel { get; set; }
    /// <summary>Edge of the tiled GEMM's square block: 16 (256 threads a group) on a GPU; 4 on ILGPU's CPU accelerator.</summary>
    public int GemmTile { get; set; }
    private string _gemmNote = "";

    public string GemmName => GemmKernel switch
    {
        GemmKernel.CuBlas => "cuBLAS",
        GemmKernel.Tiled => $"tiled shared-memory kernel ({GemmTile}×{GemmTile}){_gemmNote}",
        _ => "row·column kernel (ILGPU CPU accelerator; the tiled kernel is tested on its own there)",
    };

    public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape> Gemm;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape> GemmSimple;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, int, int> AddBiasRows;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int> Embed;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>> Add;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> LayerNormScale;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> LayerNormNormalize;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> SplitQkv;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int> Scores;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, int> Softmax;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> Values;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> HeadResult;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> SumHeads;
    public readonly Action<int, ArrayView<float>, ArrayView<float>> GeluTanh;
    public readonly Action<int, ArrayView<float>, ArrayView<float>> GeluErf;
    public readonly Action<int, ArrayView<float>, ArrayView<float>, int, int> GatherLast;

    private IlgpuDevice(Context context, Accelerator accelerator, DeviceKind kind)
    {
        _context = context;
        Accelerator = accelerator;
        Kind = kind;
        var a = accelerator;
        Gemm = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape>(IlgpuKernels.GemmTiled);
        GemmSimple = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape>(IlgpuKernels.GemmRowCol));
        AddBiasRows = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, int, int>(IlgpuKernels.AddBiasRows));
        Embed = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int>(IlgpuKernels.EmbedForward));
        Add = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>>(IlgpuKernels.AddForward));
        LayerNormScale = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(IlgpuKernels.LayerNormScaleForward));
        LayerNormNormalize = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(IlgpuKernels.LayerNormNormalizeForward));
        SplitQkv = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(IlgpuKernels.SplitQkv));
        Scores = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>(IlgpuKernels.AttentionScoresForward));
        Softmax = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, int>(IlgpuKernels.SoftmaxForward));
        Values = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(IlgpuKernels.AttentionValuesForward));
        HeadResult = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(IlgpuKernels.HeadResultForward));
        SumHeads = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(IlgpuKernels.SumHeadsForward));
        GeluTanh = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>>(IlgpuKernels.GeluTanhForward));
        GeluErf = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>>(IlgpuKernels.GeluErfForward));
        GatherLast = Wrap(a.LoadAutoGroupedStreamKernel<Index1D, Extent, ArrayView<float>, ArrayView<float>, int, int>(IlgpuKernels.GatherLastForward));

        GemmTile = kind == DeviceKind.Cuda ? 16 : 4;
        GemmKernel = kind == DeviceKind.Cuda ? GemmKernel.Tiled : GemmKernel.RowCol;
        if (accelerator is CudaAccelerator cuda)
        {
            if (Environment.GetEnvironmentVariable("CIRCUITLENS_NO_CUBLAS") == "1") _gemmNote = ", CIRCUITLENS_NO_CUBLAS=1";
            else
            {
                try
                {
                    _cublas = new CuBlas(cuda);
                    _cublas.Stream = (CudaStream)cuda.DefaultStream;   // the kernels' stream, so products and kernels stay in order
                    GemmKernel = GemmKernel.CuBlas;
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CuBlasException or BadImageFormatException)
                {
                    _gemmNote = $", libcublas not usable: {e.GetType().Name}";
                }
            }
        }
    }

    // Grid-stride launches: at most MaxExtent threads, each looping over its share of the n elements.
    private int MaxExtent => Kind == DeviceKind.Cuda ? 1 << 20 : Accelerator.MaxNumThreads;
    private (Index1D, Extent) Launch(int n) { int e = Math.Max(1, Math.Min(n, MaxExtent)); return (e, new Extent(n, e)); }
    private Action<int, A> Wrap<A>(Action<Index1D, Extent, A> k) where A : struct => (n, a) => { var (g, x) = Launch(n); k(g, x, a); };
    private Action<int, A, B> Wrap<A, B>(Action<Index1D, Extent, A, B> k) where A : struct where B : struct => (n, a, b) => { var (g, x) = Launch(n); k(g, x, a, b); };
    private Action<int, A, B, C> Wrap<A, B, C>(Action<Index1D, Extent, A, B, C> k) where A : struct where B : struct where C : struct =>
        (n, a, b, c) => { var (g, x) = Launch(n); k(g, x, a, b, c); };
    private Action<int, A, B, C, D> Wrap<A, B, C, D>(Action<Index1D, Extent, A, B, C, D> k) where A : struct where B : struct where C : struct where D : struct =>
        (n, a, b, c, d) => { var (g, x) = Launch(n); k(g, x, a, b, c, d); };
    private Action<int, A, B, C, D, E> Wrap<A, B, C, D, E>(Action<Index1D, Extent, A, B, C, D, E> k) where A : struct where B : struct where C : struct where D : struct where E : struct =>
        (n, a, b, c, d, e) => { var (g, x) = Launch(n); k(g, x, a, b, c, d, e); };
    private Action<int, A, B, C, D, E, F> Wrap<A, B, C, D, E, F>(Action<Index1D, Extent, A, B, C, D, E, F> k) where A : struct where B : struct where C : struct where D : struct where E : struct where F : struct =>
        (n, a, b, c, d, e, f) => { var (g, x) = Launch(n); k(g, x, a, b, c, d, e, f); };
    private Action<int, A, B, C, D, E, F, G> Wrap<A, B, C, D, E, F, G>(Action<Index1D, Extent, A, B, C, D, E, F, G> k) where A : struct where B : struct where C : struct where D : struct where E : struct where F : struct where G : struct =>
        (n, a, b, c, d, e, f, g2) => { var (g, x) = Launch(n); k(g, x, a, b, c, d, e, f, g2); };

    /// <summary>Opens the device, or throws a CircuitLensException saying why it is not available.</summary>
    public static IlgpuDevice Open(DeviceKind kind)
    {
        if (kind == DeviceKind.Cpu) throw new ArgumentException("the cpu device is the SIMD engine, not an ILGPU accelerator", nameof(kind));
        Context? context = null;
        try
        {
            if (kind == DeviceKind.IlgpuCpu)
            {
                context = Context.Create(b => b.CPU(CpuDevice).EnableAlgorithms());
                return new IlgpuDevice(context, context.CreateCPUAccelerator(0, CPUAcceleratorMode.Parallel), kind);
            }
            context = Context.Create(b => b.Cuda().EnableAlgorithms());
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
                throw new CircuitLensException("--device cuda: no CUDA device found (no NVIDIA driver, or no GPU visible); run `circuitlens devices` to see what is available");
            return new IlgpuDevice(context, context.CreateCudaAccelerator(0), kind);
        }
        catch (Exception e) when (e is not CircuitLensException)
        {
            context?.Dispose();
            throw new CircuitLensException($"--device {kind.Name()}: cannot start the accelerator ({e.GetType().Name}: {e.Message.Split('\n')[0]})");
        }
        catch
        {
            context?.Dispose();
            throw;
        }
    }

    // A small CPU "device": groups of up to 16 threads (one 4×4 GEMM block), one multiprocessor per two
    // cores; each multiprocessor runs its group's threads as OS threads, so bigger groups only add switching.
    internal static CPUDevice CpuDevice => new(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 4,
        numMultiprocessors: Math.Max(1, Environment.ProcessorCount / 2));

    public string Description => Kind == DeviceKind.Cuda
        ? $"{Kind.Name()}: {Accelerator.Name} ({Accelerator.MemorySize / (1024.0 * 1024 * 1024):F1} GiB), GEMM {GemmName}"
        : $"{Kind.Name()}: {Accelerator.Name} ({Accelerator.MaxNumThreads} threads), GEMM {GemmName}";

    /// <summary>fp32 peak of a CUDA device: SMs × FP32 lanes per SM (by architecture) × 2 FLOP × clock; null elsewhere.</summary>
    public double? PeakGflops => Accelerator.Device is CudaDevice d && d.Architecture is { } arch
        ? d.NumMultiprocessors * (arch.Major is 7 || arch == CudaArchitecture.SM_80 ? 64 : 128) * 2.0 * d.ClockRate / 1e6
        : null;

    public MemoryBuffer1D<float, Stride1D.Dense> Allocate(long length) => Accelerator.Allocate1D<float>(Math.Max(1, length));

    // c (M,N) = a (M,K) · b (K,N), or · bᵀ when transB (b is (N,K)), plus bias (N) when given; row strides lda/ldb/ldc
    public void MatMul(ArrayView<float> c, ArrayView<float> a, ArrayView<float> b, ArrayView<float>? bias, int m, int n, int k, int lda, int ldb, int ldc, bool transB)
    {
        var shape = new GemmShape(m, n, k, lda, ldb, ldc, transB, bias is not null, GemmTile);
        switch (GemmKernel)
        {
            case GemmKernel.CuBlas when _cublas is not null:
                // row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: swap the operands and the M/N roles
                _cublas.Gemm(transB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose, CuBlasOperation.NonTranspose,
                    n, m, k, 1f, b, ldb, a, lda, 0f, c, ldc);
                if (bias is { } bv) AddBiasRows(m * n, c, bv, n, ldc);
                break;
            case GemmKernel.Tiled or GemmKernel.CuBlas:
                int tile = GemmTile;
                var grid = new Index2D((n + tile - 1) / tile, (m + tile - 1) / tile);
                var config = new KernelConfig(grid, new Index2D(tile, tile), SharedMemoryConfig.RequestDynamic<float>(2 * tile * tile));
                Gemm(config, c, a, b, bias ?? c, shape);
                break;
            default:
                GemmSimple(m * n, c, a, b, bias ?? c, shape);
                break;
        }
    }

    public void Dispose()
    {
        _cublas?.Dispose();
        Accelerator.Dispose();
        _context.Dispose();
    }
}
