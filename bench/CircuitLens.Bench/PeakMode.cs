// `peak` mode: prints the measured GEMM peak (large square product) for 1 and 2 threads, then a
// GFLOP/s table for the GPT-2 shapes, packed and unpacked, in well under a minute. Timings are the
// best of a few repeats after a warm-up; this is a quick look, not a BenchmarkDotNet-grade study.
using System.Diagnostics;
using CircuitLens.Tensors;

namespace CircuitLens.Bench;

public static class PeakMode
{
    public static int Run(string[] args)
    {
        int maxThreads = Environment.ProcessorCount;
        Console.WriteLine($"cores: {maxThreads}, AVX-512: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        var peaks = new Dictionary<int, double>();
        foreach (int threads in ThreadCounts(maxThreads))
        {
            peaks[threads] = Gemm.MeasurePeakGflops(threads);
            Console.WriteLine($"peak GFLOP/s, {threads} thread(s): {peaks[threads],8:F1}");
        }
        Console.WriteLine();
        Console.WriteLine($"{"shape",-34}{"threads",8}{"packed",10}{"unpacked",10}{"% peak",8}");
        foreach (var (k, n, name) in GemmShapes.Layers)
        {
            var b = GemmShapes.Random(k * n, 2);
            var packed = Gemm.Pack(b, k, n);
            foreach (int m in GemmShapes.Rows)
            {
                var a = GemmShapes.Random(m * k, 1);
                var c = new float[m * n];
                foreach (int threads in ThreadCounts(maxThreads))
                {
                    double gPacked = Gflops(m, k, n, threads, () => Gemm.MatMul(c, a, packed, m));
                    double gPlain = Gflops(m, k, n, threads, () => Gemm.MatMul(c, a, b, m, k, n));
                    Console.WriteLine($"{$"{name} M={m} K={k} N={n}",-34}{threads,8}{gPacked,10:F1}{gPlain,10:F1}{100 * gPacked / peaks[threads],7:F0}%");
                }
            }
        }
        var wte = GemmShapes.Random(GemmShapes.Vocab * GemmShapes.Embed, 3);
        var wtePacked = Gemm.PackTransposed(wte, GemmShapes.Embed, GemmShapes.Vocab);
        // the unembedding with few rows streams all of wte (154 MB): compare with plain read bandwidth
        double readSeconds = BestSeconds(() => System.Numerics.Tensors.TensorPrimitives.Sum(wte));
        Console.WriteLine($"{"read bandwidth (sum of wte)",-34}{1,8}{wte.Length * 4.0 / readSeconds / 1e9,9:F1} GB/s");
        foreach (int m in GemmShapes.UnembedRows)
        {
            var a = GemmShapes.Random(m * GemmShapes.Embed, 1);
            var c = new float[m * GemmShapes.Vocab];
            foreach (int threads in ThreadCounts(maxThreads))
            {
                double gPacked = Gflops(m, GemmShapes.Embed, GemmShapes.Vocab, threads, () => Gemm.MatMul(c, a, wtePacked, m));
                double gPlain = Gflops(m, GemmShapes.Embed, GemmShapes.Vocab, threads, () => Gemm.MatMulTransB(c, a, wte, m, GemmShapes.Embed, GemmShapes.Vocab));
                Console.WriteLine($"{$"unembed M={m} K=768 N=50257 (B^T)",-34}{threads,8}{gPacked,10:F1}{gPlain,10:F1}{100 * gPacked / peaks[threads],7:F0}%");
            }
        }
        return 0;
    }

    private static IEnumerable<int> ThreadCounts(int maxThreads) => maxThreads > 1 ? [1, maxThreads] : [1];

    // best-of GFLOP/s on the given thread count
    private static double Gflops(int m, int k, int n, int threads, Action product)
    {
        int saved = Gemm.MaxThreads;
        Gemm.MaxThreads = threads;
        try { return 2.0 * m * k * n / BestSeconds(product) / 1e9; }
        finally { Gemm.MaxThreads = saved; }
    }

    // best time over ~0.1 s of repeats (at least 3) after one warm-up call
    private static double BestSeconds(Action action)
    {
        action();
        double best = double.MaxValue, total = 0;
        for (int r = 0; r < 3 || (total < 0.1 && r < 1000); r++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = Math.Min(best, seconds);
            total += seconds;
        }
        return best;
    }
}
