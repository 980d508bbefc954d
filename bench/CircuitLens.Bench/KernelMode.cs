// `kernel` mode: single-thread GFLOP/s of the packed GEMM at a few shapes, timed in this thread's
// CPU time rather than wall time, so the numbers stay meaningful on a busy machine (other builds
// preempting us do not count). Meant for tuning block sizes and the micro-kernel; Linux only for
// the CPU clock (elsewhere it falls back to wall time).
using System.Diagnostics;
using System.Runtime.InteropServices;
using CircuitLens.Tensors;

namespace CircuitLens.Bench;

public static unsafe class KernelMode
{
    private const int ThreadCpuClock = 3;  // CLOCK_THREAD_CPUTIME_ID

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, long* timespec);

    private static double Now()
    {
        if (!OperatingSystem.IsLinux()) return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        long* ts = stackalloc long[2];
        ClockGetTime(ThreadCpuClock, ts);
        return ts[0] + ts[1] * 1e-9;
    }

    public static int Run(string[] args)
    {
        int saved = Gemm.MaxThreads;
        Gemm.MaxThreads = 1;
        try
        {
            foreach (var (m, k, n) in new[] { (16, 768, 2304), (64, 768, 3072), (256, 768, 768), (1024, 768, 768), (1024, 3072, 768), (1536, 1536, 1536) })
            {
                var a = GemmShapes.Random(m * k, 1);
                var b = Gemm.Pack(GemmShapes.Random(k * n, 2), k, n);
                var c = new float[m * n];
                Gemm.MatMul(c, a, b, m);
                double best = double.MaxValue;
                var wall = Stopwatch.StartNew();
                while (wall.Elapsed.TotalSeconds < 1.0)
                {
                    double start = Now();
                    Gemm.MatMul(c, a, b, m);
                    best = Math.Min(best, Now() - start);
                }
                Console.WriteLine($"M={m,-5} K={k,-5} N={n,-5} {2.0 * m * k * n / best / 1e9,7:F1} GFLOP/s (1 thread, CPU time)");
            }
        }
        finally
        {
            Gemm.MaxThreads = saved;
        }
        return 0;
    }
}
