// The backward checks every ILGPU device must pass: each backward kernel against its CPU kernel
// (Tensors/Kernels LayerNorm, Gelu, Attention backward) on random inputs, the whole device backward
// pass against Gpt2Backward on a left-padded batch of the tiny fixture's prompts (every hook point's
// gradient, 1e-4 + 1e-3·|x| of the gradient's scale), the erf GELU on a random model, and proofs that
// the comparison catches a wrong kernel input (one perturbed key) and a seed at the wrong example's row.
using ILGPU.Runtime;
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Tensors;
using CircuitLens.Tensors.Kernels;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Devices;

internal static class DeviceBackwardChecks
{
    private static readonly ForwardOptions NoLogits = new() { Logits = LogitsMode.None };

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    private static IlgpuDevice Dev(HookedTransformer m) => m.IlgpuBackend?.Device ?? throw new InvalidOperationException("the model is not on an ILGPU device");

    private static MemoryBuffer1D<float, ILGPU.Stride1D.Dense> Upload(IlgpuDevice dev, float[] data)
    {
        var buffer = dev.Allocate(data.Length);
        buffer.View.CopyFromCPU(data);
        return buffer;
    }

    private static float[] Download(IlgpuDevice dev, MemoryBuffer1D<float, ILGPU.Stride1D.Dense> buffer, int n)
    {
        var host = new float[n];
        dev.Accelerator.Synchronize();
        buffer.View.SubView(0, n).CopyToCPU(host);
        return host;
    }

    public static void LayerNormAndGeluKernelsMatchTheCpu(HookedTransformer m)
    {
        var dev = Dev(m);
        const int N = 7, C = 64;
        var inp = Random(N * C, 1, 3f); var dout = Random(N * C, 2); var weight = Random(C, 3); var before = Random(N * C, 4);
        var dinp = (float[])before.Clone(); var dscale = new float[N];
        LayerNorm.Backward(dinp, dscale, dout, inp, weight, N, C, 1e-5f);
        using var gInp = Upload(dev, inp); using var gDout = Upload(dev, dout); using var gW = Upload(dev, weight);
        using var gDinp = Upload(dev, before); using var gScale = dev.Allocate(N);
        dev.LayerNormBackward(N, gDinp.View, gScale.View, gDout.View, gInp.View, gW.View, C, 1e-5f);
        TensorAssert.Close(dinp, Download(dev, gDinp, N * C), $"{m.Device} LayerNormBackward dinp (accumulated)");
        TensorAssert.Close(dscale, Download(dev, gScale, N), $"{m.Device} LayerNormBackward dscale");

        var x = Random(1000, 5, 4f);
        var dy = Random(1000, 6);
        using var gx = Upload(dev, x); using var gdy = Upload(dev, dy); using var gdx = dev.Allocate(1000);
        var want = new float[1000];
        Gelu.TanhBackward(want, dy, x);
        dev.GeluTanhBackward(1000, gdx.View, gdy.View, gx.View);
        TensorAssert.Close(want, Download(dev, gdx, 1000), $"{m.Device} GeluTanhBackward");
        Gelu.ErfBackward(want, dy, x);
        dev.GeluErfBackward(1000, gdx.View, gdy.View, gx.View);
        TensorAssert.Close(want, Download(dev, gdx, 1000), $"{m.Device} GeluErfBackward");
    }

    // A left-padded batch: pattern from the forward kernels, then the device attention backward against the CPU's three steps
    public static void AttentionKernelsMatchTheCpu(HookedTransformer m)
    {
        var dev = Dev(m);
        const int B = 3, T = 6, NH = 2, HS = 4, C = NH * HS;
        int[] pad = [0, 2, 5];
        var q = Random(B * T * C, 11, 2f); var k = Random(B * T * C, 12, 2f); var v = Random(B * T * C, 13); var dz = Random(B * T * C, 14);
        for (int b = 0; b < B; b++) Array.Clear(dz, b * T * C, pad[b] * C);   // pad rows get no gradient from above
        using var gq = Upload(dev, q); using var gk = Upload(dev, k); using var gv = Upload(dev, v); using var gdz = Upload(dev, dz);
        using var gPad = dev.Accelerator.Allocate1D(pad);
        using var scores = dev.Allocate(B * NH * T * T); using var pattern = dev.Allocate(B * NH * T * T);
        dev.Scores(B * NH * T * T, scores.View, gq.View, gk.View, gPad.View, T, NH, HS);
        dev.Softmax(B * NH * T, pattern.View, scores.View, T);
        var p = Download(dev, pattern, B * NH * T * T);
        Assert.Contains(p, x => x > 0f && x < 1f);

        var dp = new float[B * NH * T * T]; var ds = new float[dp.Length];
        var dq = new float[B * T * C]; var dk = new float[B * T * C]; var dv = new float[B * T * C];
        Attention.ValuesBackward(dp, dv, dz, p, v, B, T, NH, HS);
        Attention.SoftmaxBackward(ds, dp, p, B * NH * T, T);
        Attention.ScoresBackward(dq, dk, ds, q, k, B, T, NH, HS);

        using var gdp = dev.Allocate(dp.Length); using var gds = dev.Allocate(ds.Length);
        using var gdq = dev.Allocate(dq.Length); using var gdk = dev.Allocate(dk.Length); using var gdv = dev.Allocate(dv.Length);
        dev.AttentionPatternBackward(dp.Length, gdp.View, gdz.View, gv.View, T, NH, HS);
        dev.SoftmaxBackward(B * NH * T, gds.View, gdp.View, pattern.View, T);
        dev.AttentionQueryBackward(dq.Length, gdq.View, gds.View, gk.View, gPad.View, T, NH, HS);
        dev.AttentionKeyValueBackward(dk.Length, gdk.View, gdv.View, gds.View, pattern.View, gq.View, gdz.View, gPad.View, new AttentionShape(T, NH, HS));
        TensorAssert.Close(dp, Download(dev, gdp, dp.Length), $"{m.Device} d pattern");
        TensorAssert.Close(ds, Download(dev, gds, ds.Length), $"{m.Device} d scores");
        TensorAssert.Close(dq, Download(dev, gdq, dq.Length), $"{m.Device} d q");
        TensorAssert.Close(dk, Download(dev, gdk, dk.Length), $"{m.Device} d k");
        TensorAssert.Close(dv, Download(dev, gdv, dv.Length), $"{m.Device} d v");
        // the pad rows of example 1 (2 of 6) have no key gradient; its first real row has one
        var gotK = Download(dev, gdk, dk.Length);
        Assert.All(gotK.AsSpan(T * C, 2 * C).ToArray(), x => Assert.Equal(0f, x));
        Assert.Contains(gotK.AsSpan(T * C + 2 * C, C).ToArray(), x => x != 0f);
    }

    // the fixture's four prompts, left-padded to the longest, and a seed with entries of order 1
    private static (TokenBatch Batch, float[] Seed) PaddedPrompts(Gpt2Config cfg)
    {
        var batch = TokenBatch.FromSequences(TinyGpt2.PromptIds);
        Assert.True(batch.IsPadded);
        return (batch, Random(batch.BatchSize * cfg.DModel, 21));
    }

    private static bool AllButResult(string name) => !name.EndsWith(HookNames.Suffix(HookPoint.Result), StringComparison.Ordinal);

    /// <summary>The device pass's gradients of every hook point (bar hook_result) for <paramref name="batch"/> and <paramref name="seed"/>.</summary>
    public static ActivationGradients DeviceGradients(HookedTransformer m, TokenBatch batch, float[] seed, Action<DeviceActivations>? tamper = null)
    {
        var fwd = m.IlgpuBackend!;
        using var acts = new DeviceActivations(fwd.Device, n => Gpt2Backward.NeedsInCache(n, m.Config.NLayers));
        fwd.RunOnDevice(batch, acts);
        tamper?.Invoke(acts);
        using var grads = IlgpuBackward.Gradients(fwd, batch, acts, seed, AllButResult);
        return grads.DownloadGradients();
    }

    /// <summary>The CPU backward pass over every row, the reference.</summary>
    public static ActivationGradients CpuGradients(HookedTransformer cpu, TokenBatch batch, float[] seed)
    {
        var (_, cache) = cpu.RunWithCache(batch, n => Gpt2Backward.NeedsInCache(n, cpu.Config.NLayers), NoLogits);
        return Gpt2Backward.Gradients(cpu, batch, cache, seed, AllButResult);
    }

    /// <summary>The first hook whose device gradient is off (|Δ| > 1e-4·scale + 1e-3·|x|, scale = the name's largest |gradient|), or null.</summary>
    public static string? FirstMismatch(ActivationGradients want, ActivationGradients got)
    {
        foreach (var name in want.Names)
        {
            if (!got.TryGet(name, out var g)) return $"{name}: missing on the device";
            var w = want[name];
            if (!w.Shape.AsSpan().SequenceEqual(g.Shape)) return $"{name}: shape {g.ShapeString}, expected {w.ShapeString}";
            double scale = Math.Max(1e-6, w.Data.Max(x => Math.Abs(x)));
            for (int i = 0; i < w.Length; i++)
                if (!(Math.Abs(w.Data[i] - g.Data[i]) <= 1e-4 * scale + 1e-3 * Math.Abs(w.Data[i])))
                    return $"{name}: element {i} is {g.Data[i]}, expected {w.Data[i]} (scale {scale:G3})";
        }
        return null;
    }

    public static void BackwardPassMatchesTheCpuPass(HookedTransformer m)
    {
        var (batch, seed) = PaddedPrompts(m.Config);
        var want = CpuGradients(TinyGpt2.Model, batch, seed);
        var got = DeviceGradients(m, batch, seed);
        // every hook point but ln_final's and hook_result: 2 + 17 per layer... all that the CPU pass gives
        Assert.Equal(want.Names.Count, got.Names.Count);
        Assert.True(want.Names.Count >= 2 + 16 * m.Config.NLayers, $"only {want.Names.Count} gradients compared");
        Assert.Null(FirstMismatch(want, got));
        // not a vacuous comparison: the earliest gradient is not zero, and pad rows are
        var embed = got["hook_embed"];
        Assert.Contains(embed.Slice(0).ToArray(), x => Math.Abs(x) > 1e-3);
        int padded = Enumerable.Range(0, batch.BatchSize).First(b => batch.PadLeft(b) > 0);
        Assert.All(embed.Slice(padded, 0).ToArray(), x => Assert.Equal(0f, x));
    }

    public static void ComparisonCatchesABrokenInputAndASwappedSeed(HookedTransformer m)
    {
        var (batch, seed) = PaddedPrompts(m.Config);
        var want = CpuGradients(TinyGpt2.Model, batch, seed);
        // one key element of layer 1 nudged by 1 %: the query gradient (and everything below it) must be caught
        var broken = DeviceGradients(m, batch, seed, acts =>
        {
            var k = acts["blocks.1.attn.hook_k"];
            var host = k.Download();
            int row = batch.SeqLen - 2;
            host.Data[row * m.Config.DModel + 3] *= 1.01f;
            k.View.CopyFromCPU(host.Data);
        });
        string? why = FirstMismatch(want, broken);
        Assert.NotNull(why);
        Assert.Contains("blocks.1.attn", why);
        // the seeds of examples 0 and 1 swapped (the gradient entering at the wrong example's row) is caught too
        var swapped = (float[])seed.Clone();
        int C = m.Config.DModel;
        seed.AsSpan(0, C).CopyTo(swapped.AsSpan(C, C));
        seed.AsSpan(C, C).CopyTo(swapped.AsSpan(0, C));
        Assert.NotNull(FirstMismatch(want, DeviceGradients(m, batch, swapped)));
    }

    public static void ErfGeluBackwardMatchesTheCpuPass(Func<Gpt2Weights, HookedTransformer> onDevice)
    {
        var cfg = new Gpt2Config { NLayers = 2, NHeads = 2, DModel = 16, DMlp = 64, NCtx = 16, VocabSize = 97, Activation = "gelu", ModelName = "erf-test" };
        var weights = Gpt2Weights.Random(cfg, seed: 5);
        var cpu = new HookedTransformer(weights);
        var device = onDevice(weights);
        var batch = TokenBatch.FromSequences([[3, 14, 15, 92, 65], [35, 89, 79]]);
        var seed = Random(batch.BatchSize * cfg.DModel, 31);
        Assert.Null(FirstMismatch(CpuGradients(cpu, batch, seed), DeviceGradients(device, batch, seed)));
        if (device.IlgpuBackend is { } b) { b.Dispose(); b.Device.Dispose(); }
    }
}
