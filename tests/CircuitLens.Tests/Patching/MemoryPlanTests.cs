// The memory plan (`--max-memory`, automatic chunking): gpt2-xl's shape (no weights) on 100 IOI-length
// pairs fits a 24 GB card with the chunk asked for; a tight budget lowers the chunk and still fits; the
// weights alone over the budget are refused with the sizes; on ilgpu-cpu the device memory a plain run
// really holds stays under the planned peak. (The CLI side: Cli/MaxMemoryCommandTests.)
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Patching;
using CircuitLens.Tests.Devices;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Patching;

public class MemoryPlanTests
{
    private static readonly Gpt2Config Gpt2Xl = new() { NLayers = 48, NHeads = 25, DModel = 1600, DMlp = 6400, NCtx = 1024, VocabSize = 50257, ModelName = "gpt2-xl" };
    // IOI prompts are 15–21 tokens with BOS
    private static readonly int[] IoiLengths = Enumerable.Range(0, 100).Select(i => 15 + i % 7).ToArray();
    private const long GiB = 1L << 30;

    private static MemoryPlanRequest Xl(long budget, PatchingMethod method = PatchingMethod.Exact, DeviceKind device = DeviceKind.Cuda) => new()
    {
        Config = Gpt2Xl, PairLengths = IoiLengths, Sweeps = Sweep.Parse("heads-every"), Method = method, Device = device, BudgetBytes = budget,
    };

    [Fact]
    public void Gpt2XlCountsItsPublishedParameters() => Assert.Equal(1_557_611_200, PatchingMemoryPlan.ParameterCount(Gpt2Xl));

    [Theory]
    [InlineData(PatchingMethod.Exact)]
    [InlineData(PatchingMethod.Plain)]
    [InlineData(PatchingMethod.Both)]
    public void Gpt2XlIoiSweepFitsOne24GCard(PatchingMethod method)
    {
        var plan = PatchingMemoryPlan.For(Xl(24 * GiB, method));
        Assert.Equal(25, plan.ChunkSize);   // the default chunk fits: nothing lowered
        Assert.Equal(method == PatchingMethod.Both ? plan.ChunkSize : null, plan.AttributionChunkSize);
        Assert.Equal(1536, plan.MaxRowsPerRun);
        Assert.Equal(4 * 1_557_611_200L, plan.WeightsBytes);   // on a GPU the weights are held once
        Assert.InRange(plan.EstimatedPeakBytes, plan.WeightsBytes + 1, 24 * GiB);
        Assert.Contains("estimated peak", plan.Summary);
    }

    [Theory]
    [InlineData(25, 1.18e9)]    // `bench patch --pairs 25 --baseline-components 0`: peak working set after the exact sweep (this machine, 2026-11-30)
    [InlineData(100, 1.92e9)]   // BENCHMARKS.md, `bench patch --pairs 100 --baseline-components 0 --prob-diff`: after the exact sweep
    public void ThePlanCoversTheMeasuredHostPeakOfAGpt2SmallSweep(int pairs, double measured)
    {
        var plan = PatchingMemoryPlan.For(new MemoryPlanRequest
        {
            Config = Gpt2Config.Gpt2Small, PairLengths = Enumerable.Range(0, pairs).Select(i => 15 + i % 6).ToArray(), Sweeps = [Sweep.HeadZ], BudgetBytes = 64 * GiB,
        });
        Assert.Equal(25, plan.ChunkSize);
        Assert.InRange(plan.EstimatedPeakBytes, measured, 1.5 * measured);   // an upper bound, and not a wild one
    }

    [Fact]
    public void ATightBudgetLowersTheChunkAndStillFits()
    {
        var roomy = PatchingMemoryPlan.For(Xl(24 * GiB, PatchingMethod.Both));
        long tight = roomy.WeightsBytes + roomy.ResultsBytes + roomy.ChunkBytes / 5;
        Assert.Equal(1, roomy.HeldChunks);   // a device's workspace is reused: one chunk
        var plan = PatchingMemoryPlan.For(Xl(tight, PatchingMethod.Both));
        Assert.InRange(plan.ChunkSize, 1, 12);
        Assert.True(plan.EstimatedPeakBytes <= tight, plan.Summary);
        // the chunk chosen is the largest that fits: the next size up would not
        var next = PatchingMemoryPlan.ChunkBytesFor(Xl(tight, PatchingMethod.Both), plan.ChunkSize * 2, plan.MaxRowsPerRun, IoiLengths.Max());
        Assert.True(plan.WeightsBytes + plan.ResultsBytes + next > tight);
        // on the cpu, chunks the collector has not reclaimed count too: more chunks, more held
        var cpu = PatchingMemoryPlan.For(Xl(64 * GiB, device: DeviceKind.Cpu));
        Assert.Equal((PatchingMemoryPlan.MaxHeldChunksOnCpu, PatchingMemoryPlan.CpuRuntimeBytes), (cpu.HeldChunks, cpu.RuntimeBytes));
    }

    [Fact]
    public void ABudgetBelowTheWeightsIsRefusedWithTheSizes()
    {
        var e = Assert.Throws<CircuitLensException>(() => PatchingMemoryPlan.For(Xl(4 * GiB)));
        Assert.Contains("weights alone need 5.8 GiB", e.Message);
        Assert.Contains("more than the memory budget of 4.0 GiB (--max-memory)", e.Message);
        // on the cpu the GEMM also keeps packed copies: twice the memory
        Assert.Throws<CircuitLensException>(() => PatchingMemoryPlan.For(Xl(8 * GiB, device: DeviceKind.Cpu)));
    }

    [Theory]
    [InlineData("24G", 24L << 30)]
    [InlineData("512M", 512L << 20)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("800000000", 800_000_000L)]
    public void SizesParse(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("-1G")]
    [InlineData("NaNG")]
    public void BadSizesAreUserErrors(string text) => Assert.Contains("is not a size", Assert.Throws<CircuitLensException>(() => ByteSize.Parse(text)).Message);

    [Fact]
    public void ThePlainEngineOnIlgpuCpuHoldsLessDeviceMemoryThanPlanned() => DeviceMemoryStaysUnderThePlan(DeviceKind.IlgpuCpu);

    [CudaFact]
    public void ThePlainEngineOnCudaHoldsLessDeviceMemoryThanPlanned() => DeviceMemoryStaysUnderThePlan(DeviceKind.Cuda);

    private static void DeviceMemoryStaysUnderThePlan(DeviceKind device)
    {
        var model = DeviceModels.OnDevice(device);   // its own device copy: DeviceMemoryBytes holds this run's workspace only
        var pairs = TinyGpt2.Pairs.Take(2).ToList();
        var batch = new PatchingBatch(pairs.Select(p => p.CleanIds).ToList(), pairs.Select(p => p.CorruptIds).ToList(),
            pairs.Select(p => p.AnswerId).ToArray(), pairs.Select(p => p.WrongId).ToArray());
        var sweeps = Sweep.Parse("head-z");
        var plan = PatchingMemoryPlan.For(new MemoryPlanRequest
        {
            Config = model.Config, PairLengths = pairs.Select(p => p.CleanIds.Length).ToArray(), Sweeps = sweeps,
            Method = PatchingMethod.Plain, Device = device, BudgetBytes = 1 * GiB, MaxChunkSize = 2,
        });
        PatchingJob.Run(model, batch, new PatchingJobOptions { Sweeps = sweeps, Method = PatchingMethod.Plain, ChunkSize = plan.ChunkSize, Fast = plan.Fast });
        long measured = model.DeviceMemoryBytes;   // weights + the largest workspace the runs needed
        Assert.True(measured > plan.WeightsBytes, $"measured {measured} B: no workspace?");
        Assert.True(measured <= plan.EstimatedPeakBytes, $"measured {measured} B > planned {plan.EstimatedPeakBytes} B ({plan.Summary})");
    }
}
