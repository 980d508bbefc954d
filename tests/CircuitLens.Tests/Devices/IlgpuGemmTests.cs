// The tiled shared-memory GEMM kernel on ILGPU's CPU accelerator against a float64 product: shapes that
// are not multiples of the tile (edge blocks), row strides wider than the rows, x·Wᵀ, and the bias.
using CircuitLens.Model.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace CircuitLens.Tests.Devices;

public class IlgpuGemmTests
{
    [Theory]
    [InlineData(2, false, false)]
    [InlineData(4, false, true)]
    [InlineData(4, true, true)]
    [InlineData(3, true, false)]
    public void TiledGemmMatchesAFloat64Product(int tile, bool transB, bool withBias)
    {
        using var dev = IlgpuDevice.Open(DeviceKind.IlgpuCpu);
        dev.GemmTile = tile;
        dev.GemmKernel = GemmKernel.Tiled;
        const int M = 13, N = 11, K = 9, Lda = K + 2, Ldc = N + 3;
        int ldb = transB ? K + 1 : N + 1;
        var rng = new Random(tile * 10 + (transB ? 1 : 0));
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var a = Random(M * Lda); var b = Random((transB ? N : K) * ldb); var bias = Random(N);
        var c = Enumerable.Repeat(42f, M * Ldc).ToArray();   // the padding columns must stay untouched
        using var da = dev.Allocate(a.Length); using var db = dev.Allocate(b.Length); using var dbias = dev.Allocate(N); using var dc = dev.Allocate(c.Length);
        da.View.CopyFromCPU(a); db.View.CopyFromCPU(b); dbias.View.CopyFromCPU(bias); dc.View.CopyFromCPU(c);
        dev.MatMul(dc.View, da.View, db.View, withBias ? dbias.View : null, M, N, K, Lda, ldb, Ldc, transB);
        dev.Accelerator.Synchronize();
        dc.View.CopyToCPU(c);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < Ldc; j++)
            {
                if (j >= N) { Assert.Equal(42f, c[i * Ldc + j]); continue; }
                double e = withBias ? bias[j] : 0;
                for (int k = 0; k < K; k++) e += (double)a[i * Lda + k] * (transB ? b[j * ldb + k] : b[k * ldb + j]);
                Assert.True(Math.Abs(c[i * Ldc + j] - e) < 1e-5, $"c[{i},{j}] = {c[i * Ldc + j]}, expected {e}");
            }
    }
}
