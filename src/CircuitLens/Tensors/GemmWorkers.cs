// A tiny dedicated thread pool for matrix products. A forward pass issues thousands of products
// of a few hundred microseconds each, so waking a general-purpose pool (and allocating a closure)
// per product costs too much. Workers spin briefly after each product so the next one starts
// without a kernel wake-up, then sleep. One product at a time uses the pool; a product issued
// while another one holds it runs on the calling thread alone (same result, since parts never
// split K). Not a general scheduler: no queue, no nesting, no cancellation.
using System.Diagnostics;

namespace CircuitLens.Tensors;

internal static class GemmWorkers
{
    private const int MaxWorkers = 63;
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000;  // spin ~200 us before sleeping

    private sealed class Worker
    {
        public int Ticket;    // bumped by the issuing thread for each product this worker must help with
        public int Sleeping;  // 1 while blocked on Wake (set by the worker, cleared by whoever wakes it)
        public readonly SemaphoreSlim Wake = new(0);
    }

    private static readonly object s_gate = new();
    private static Worker[] s_workers = [];
    private static GemmJob s_job;
    private static int s_remaining;  // helpers still working on the current product
    private static int s_nextPart;   // next unclaimed part of the current product
    private static Exception? s_failure;  // a worker's exception, rethrown on the issuing thread

    public static void Run(in GemmJob job)
    {
        if (job.Threads <= 1 || job.Parts <= 1 || !Monitor.TryEnter(s_gate))
        {
            var whole = job;
            whole.Parts = 1;
            GemmDriver.RunPart(whole, 0);
            return;
        }
        try
        {
            int helpers = Math.Min(Math.Min(job.Threads, job.Parts) - 1, MaxWorkers);
            EnsureWorkers(helpers);
            s_job = job;
            s_nextPart = 0;
            Volatile.Write(ref s_remaining, helpers);
            for (int w = 0; w < helpers; w++)
            {
                var worker = s_workers[w];
                Interlocked.Increment(ref worker.Ticket);
                if (Interlocked.Exchange(ref worker.Sleeping, 0) == 1) worker.Wake.Release();
            }
            try { RunParts(); }
            finally
            {
                // Never leave while helpers still write into the caller's buffers.
                var spin = new SpinWait();
                while (Volatile.Read(ref s_remaining) != 0) spin.SpinOnce(sleep1Threshold: -1);
            }
            if (s_failure is { } failure)
            {
                s_failure = null;
                throw new InvalidOperationException("a matrix-product worker failed", failure);
            }
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    // Parts are handed out first come, first served: a helper that wakes late simply takes fewer,
    // and which thread computes a part never changes its numbers.
    private static void RunParts()
    {
        int part;
        while ((part = Interlocked.Increment(ref s_nextPart) - 1) < s_job.Parts)
            GemmDriver.RunPart(s_job, part);
    }

    private static void EnsureWorkers(int count)
    {
        if (s_workers.Length >= count) return;
        var grown = new Worker[count];
        Array.Copy(s_workers, grown, s_workers.Length);
        for (int w = s_workers.Length; w < count; w++)
        {
            var worker = new Worker();
            grown[w] = worker;
            var thread = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"CircuitLens.Gemm.{w + 1}" };
            thread.Start();
        }
        s_workers = grown;
    }

    private static void Loop(Worker worker)
    {
        int seen = 0;
        while (true)
        {
            long deadline = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref worker.Ticket) == seen)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    Interlocked.Exchange(ref worker.Sleeping, 1);
                    // Re-check after announcing sleep; if the flag was already taken, a Release is on its way.
                    if (Volatile.Read(ref worker.Ticket) != seen && Interlocked.Exchange(ref worker.Sleeping, 0) == 1) break;
                    worker.Wake.Wait();
                    break;
                }
                Thread.SpinWait(8);
            }
            seen = Volatile.Read(ref worker.Ticket);
            try { RunParts(); }
            catch (Exception e) { s_failure = e; }
            finally { Interlocked.Decrement(ref s_remaining); }
        }
    }
}
