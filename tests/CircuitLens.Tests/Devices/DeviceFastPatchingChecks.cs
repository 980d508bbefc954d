// The fast exact patching engine on an ILGPU device (DeviceSuffixRunner) against the CPU fast engine and the
// tiny fixture's float64 reference sweeps; and the device's prefixed attention against Attention.PrefixedForward.
// Shared by the ilgpu-cpu tests (CI) and the cuda tests (skipped without a GPU).
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Patching;
using CircuitLens.Tasks.Pairs;
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;
using CircuitLens.Tests.Model;
using ILGPU;
using ILGPU.Runtime;

namespace CircuitLens.Tests.Devices;

public static class DeviceFastPatchingChecks
{
    /// <summary>A metric folder's pairs of the fixture (prob-diff, logit-diff-to-max), as the reference ran them (no BOS).</summary>
    public static PatchingBatch FolderBatch(string metric) =>
        PairFile.Read(TinyGpt2.Expected("metrics", metric.Replace('-', '_'), "pairs.jsonl")).Tokenize(TinyGpt2.Model, prependBos: false).ToPatchingBatch();

    /// <summary>A left-padded batch of pairs of different lengths for each metric: the fixture's IOI pairs (logit-diff) or a
    /// metric folder's pairs, every second pair shortened by its first 1 + i tokens.</summary>
    public static PatchingBatch MixedLengthBatch(string metric)
    {
        var full = metric == "logit-diff"
            ? new PatchingBatch(TinyGpt2.Pairs.Select(p => p.CleanIds).ToList(), TinyGpt2.Pairs.Select(p => p.CorruptIds).ToList(),
                TinyGpt2.Pairs.Select(p => p.AnswerId).ToArray(), TinyGpt2.Pairs.Select(p => p.WrongId).ToArray())
            : FolderBatch(metric);
        int[] Cut(ReadOnlySpan<int> ids, int i) => i % 2 == 1 ? ids[(1 + i)..].ToArray() : ids.ToArray();
        var clean = Enumerable.Range(0, full.Count).Select(i => Cut(full.Clean.Row(i), i)).ToList();
        var corrupt = Enumerable.Range(0, full.Count).Select(i => Cut(full.Corrupt.Row(i), i)).ToList();
        return new PatchingBatch(clean, corrupt, full.Metric);
    }

    // prob-diff values are small on a random model: the fixtures README's tighter absolute tolerance
    private static (double Atol, double Rtol) Tolerance(string metric) => metric == "prob-diff" ? (1e-7, 1e-4) : (1e-4, 1e-3);

    /// <summary>Every sweep of Sweep.All, and two with a --layers selection, on the device = on the cpu engine, on a left-padded batch.</summary>
    public static void EverySweepMatchesTheCpuEngine(HookedTransformer device, string metric)
    {
        var data = MixedLengthBatch(metric);
        Assert.Equal(metric, data.Metric.Name);
        Assert.True(data.Clean.IsPadded, "the batch must be left-padded");
        // logit-diff: every layer; the other metrics (same engine, another Evaluate of the final rows) the first and last
        // layer. mlp-post-neuron (d_mlp variants a position, most of the time on ilgpu-cpu) one layer: the middle one for
        // logit-diff (a device run from the next layer), the last for the others (a patch after the last block)
        int last = device.Config.NLayers - 1;
        IReadOnlyList<int>? layers = metric == "logit-diff" ? null : [0, last];
        IReadOnlyList<int> neuronLayers = metric == "logit-diff" ? [1] : [last];
        var sweeps = Sweep.All.Select(s => s.WithLayers(s == Sweep.MlpPostNeuron ? neuronLayers : layers))
            .Concat([Sweep.HeadZ.WithLayers([0, 2]), Sweep.ResidPre.WithLayers([1])]).ToList();
        // each layer's variants over a few stacked runs (SweepsMatchTheFixtureReference runs many small ones)
        var options = new FastPatchingOptions { MaxRowsPerRun = 400 };
        var cpu = FastActivationPatching.RunMany(TinyGpt2.Model, data, sweeps, options);
        var dev = FastActivationPatching.RunMany(device, data, sweeps, options);
        var (atol, rtol) = Tolerance(metric);
        TensorAssert.Close(cpu[0].CleanMetric, dev[0].CleanMetric, "clean metric", atol, rtol);
        TensorAssert.Close(cpu[0].CorruptMetric, dev[0].CorruptMetric, "corrupt metric", atol, rtol);
        for (int i = 0; i < sweeps.Count; i++)
        {
            Assert.Equal(cpu[i].Patched.Shape, dev[i].Patched.Shape);
            TensorAssert.Close(cpu[i].Patched, dev[i].Patched, $"{metric} {sweeps[i].Name} layers {string.Join(",", sweeps[i].LayerList(device.Config))}", atol, rtol);
        }
        // the comparison has teeth: some patches move the metric well beyond the tolerance
        Assert.Contains(cpu, r => Enumerable.Range(0, r.Patched.Length).Any(j =>
            r.Patched.Data[j] is var x && !float.IsNaN(x) && Math.Abs(x - r.CorruptMetric[j / (r.Patched.Length / data.Count)]) > 100 * (atol + rtol * Math.Abs(x))));
    }

    /// <summary>The fixture's expected patching sweeps (logit-diff, four pairs, no BOS) and the metric folders' head-z.</summary>
    public static void SweepsMatchTheFixtureReference(HookedTransformer device)
    {
        var pairs = TinyGpt2.Pairs;
        var data = new PatchingBatch(pairs.Select(p => p.CleanIds).ToList(), pairs.Select(p => p.CorruptIds).ToList(),
            pairs.Select(p => p.AnswerId).ToArray(), pairs.Select(p => p.WrongId).ToArray());
        (string Sweep, string File)[] files =
        [
            ("head-z", "head_z"), ("head-q", "head_q"), ("head-k", "head_k"), ("head-v", "head_v"), ("head-pattern", "head_pattern"),
            ("resid-pre", "pos_resid_pre"), ("attn-out", "pos_attn_out"), ("mlp-out", "pos_mlp_out"),
        ];
        var results = FastActivationPatching.RunMany(device, data, files.Select(f => Sweep.Parse(f.Sweep)[0]).ToList(), new FastPatchingOptions { MaxRowsPerRun = 7 });
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", "clean_logit_diff.npy")).Data, results[0].CleanMetric, "clean_logit_diff");
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", "corrupt_logit_diff.npy")).Data, results[0].CorruptMetric, "corrupt_logit_diff");
        for (int i = 0; i < files.Length; i++)
            TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", files[i].File + ".npy")), results[i].Patched, files[i].File);

        foreach (var metric in new[] { "prob-diff", "logit-diff-to-max" })
        {
            // the metric folders' pairs in one batch (each pair alone in the reference)
            string folder = metric.Replace('-', '_');
            var (atol, rtol) = Tolerance(metric);
            var result = FastActivationPatching.Run(device, FolderBatch(metric), Sweep.HeadZ);
            TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("metrics", folder, "clean_metric.npy")).Data, result.CleanMetric, $"{folder} clean_metric", atol, rtol);
            TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("metrics", folder, "corrupt_metric.npy")).Data, result.CorruptMetric, $"{folder} corrupt_metric", atol, rtol);
            TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("metrics", folder, "head_z.npy")), result.Patched, $"{folder} head_z", atol, rtol);
        }
    }

    /// <summary>A model on the device runs the fast exact engine there (its buffers are device memory), not the cpu engine.</summary>
    public static void TheEngineRunsOnTheModelsDevice(DeviceKind kind)
    {
        var model = DeviceModels.OnDevice(kind);
        Assert.Equal(0, model.DeviceEnginePeakBytes);
        var data = MixedLengthBatch("logit-diff").Slice(0, 2);
        var result = FastActivationPatching.Run(model, data, Sweep.HeadV);
        // at least the corrupted keys and values of every layer were uploaded
        long kv = 2L * model.Config.NLayers * data.Count * data.SeqLen * model.Config.DModel * sizeof(float);
        Assert.True(model.DeviceEnginePeakBytes >= kv, $"device engine memory {model.DeviceEnginePeakBytes} < {kv}");
        TensorAssert.Close(FastActivationPatching.Run(TinyGpt2.Model, data, Sweep.HeadV).Patched, result.Patched, "head-v");
        // only each variant's final residual row came back: one row of C floats for every (pair, layer, head)
        var (up, down) = model.DeviceEngineTransferBytes;
        Assert.Equal((long)data.Count * model.Config.NLayers * model.Config.NHeads * model.Config.DModel * sizeof(float), down);
        Assert.True(up >= kv, $"{up} bytes up < the corrupted k/v ({kv})");
        Assert.Equal(0, TinyGpt2.Model.DeviceEnginePeakBytes);
    }

    /// <summary>Pairs of different lengths, left-padded in one batch, give what each pair gives alone (NaN past its length).</summary>
    public static void PaddedBatchEqualsOnePairAtATime(HookedTransformer device)
    {
        var data = MixedLengthBatch("logit-diff");
        var batched = FastActivationPatching.RunMany(device, data, [Sweep.HeadZ, Sweep.AttnOut]);
        for (int b = 0; b < data.Count; b++)
        {
            var alone = FastActivationPatching.RunMany(device, data.Slice(b, 1), [Sweep.HeadZ, Sweep.AttnOut]);
            TensorAssert.Close(alone[0].Patched.Data, batched[0].Patched.Slice(b), $"head-z pair {b}");
            int len = data.Length(b), T = data.SeqLen;
            for (int l = 0; l < device.Config.NLayers; l++)
            {
                TensorAssert.Close(alone[1].Patched.Slice(0, l), batched[1].Patched.Slice(b, l)[..len], $"attn-out pair {b} layer {l}");
                for (int p = len; p < T; p++) Assert.True(float.IsNaN(batched[1].Patched[b, l, p]));
            }
        }
    }

    /// <summary>
    /// IlgpuBlock.AttendWithPrefix against Attention.PrefixedForward: groups of suffix rows of left-padded sequences, starting
    /// at the first real position, mid-way and at the last one; the prefix keys/values before each start must be read, so a
    /// second run with a different prefix must change z (and the first must match it with the real one).
    /// </summary>
    public static void PrefixedAttentionMatchesTheCpuKernel(DeviceKind kind)
    {
        const int B = 3, T = 7, NH = 2, HS = 5, C = NH * HS;
        var cfg = new Gpt2Config { NLayers = 1, NHeads = NH, DModel = C, DMlp = 4 * C, NCtx = 16, VocabSize = 11 };
        var weights = Gpt2Weights.Random(cfg, seed: 3);
        int[] pad = [0, 2, 4], seq = [0, 1, 1, 2, 0], start = [0, 2, 4, 6, 3];
        var rowOffset = new int[seq.Length];
        int N = 0;
        for (int g = 0; g < seq.Length; g++) { rowOffset[g] = N; N += T - start[g]; }
        var rng = new Random(11);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var qkv = Random(N * 3 * C); var kPrefix = Random(B * T * C); var vPrefix = Random(B * T * C);
        var zCpu = new float[N * C]; var patternCpu = new float[N * NH * T];
        Attention.PrefixedForward(zCpu, patternCpu, qkv, kPrefix, vPrefix, seq, start, rowOffset, pad, seq.Length, T, NH, HS);

        using var dev = IlgpuDevice.Open(kind);
        using var w = dev.Allocate(weights.Buffer.LongLength);
        var block = new IlgpuBlock(dev, weights, w.View);
        var meta = new int[3 * N];
        for (int g = 0; g < seq.Length; g++)
            for (int i = 0; i < T - start[g]; i++) { int n = rowOffset[g] + i; meta[3 * n] = seq[g]; meta[3 * n + 1] = start[g]; meta[3 * n + 2] = rowOffset[g]; }
        using var dQkv = Upload(dev, qkv); using var dK = Upload(dev, kPrefix); using var dV = Upload(dev, vPrefix);
        using var dMeta = dev.Accelerator.Allocate1D(meta); using var dPad = dev.Accelerator.Allocate1D(pad);
        using var dZ = dev.Allocate(N * C); using var dScores = dev.Allocate(N * NH * T); using var dPattern = dev.Allocate(N * NH * T);
        var rows = new DeviceBlockRows { Count = N, Qkv = dQkv.View, Z = dZ.View, Scores = dScores.View, Pattern = dPattern.View };
        float[] Attend(ArrayView<float> k, ArrayView<float> v, float[] pattern)
        {
            block.AttendWithPrefix(rows, 0, new DevicePrefix(k, v, dMeta.View, dPad.View, T), null);
            dev.Accelerator.Synchronize();
            var z = new float[N * C];
            dZ.View.CopyToCPU(z);
            dPattern.View.CopyToCPU(pattern);
            return z;
        }
        var patternDev = new float[N * NH * T];
        TensorAssert.Close(zCpu, Attend(dK.View, dV.View, patternDev), "z");
        TensorAssert.Close(patternCpu, patternDev, "pattern");
        // another prefix (here: the keys/values swapped) must change some z: the kernel reads the prefix, not the suffix only
        var zOther = Attend(dV.View, dK.View, patternDev);
        Assert.Contains(Enumerable.Range(0, N * C), i => Math.Abs(zOther[i] - zCpu[i]) > 1e-2);
    }

    private static MemoryBuffer1D<float, Stride1D.Dense> Upload(IlgpuDevice dev, float[] data)
    {
        var b = dev.Allocate(data.Length);
        b.View.CopyFromCPU(data);
        return b;
    }
}
