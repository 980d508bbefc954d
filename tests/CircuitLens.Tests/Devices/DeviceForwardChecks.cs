// The forward-pass checks every device must pass, against the float64 reference of the tiny GPT-2
// (tolerance 1e-4 + 1e-3·|x|) and against the CPU engine: logits, all 38 cached activations, padded
// batches, start/stop at a layer, hooks that edit activations, hook_result, and the erf GELU.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Devices;

internal static class DeviceForwardChecks
{
    public static void LastPositionLogitsMatchReference(HookedTransformer m)
    {
        var expected = NpyFile.Read(TinyGpt2.Expected("logits_last.npy"));
        var ids = TinyGpt2.PromptIds;
        for (int i = 0; i < ids.Count; i++)
            TensorAssert.Close(expected.Slice(i), m.Forward(TokenBatch.Single(ids[i]), LogitsMode.LastPosition).Slice(0, 0), $"{m.Device} logits_last[{i}]");
    }

    public static void AllPositionLogitsMatchReference(HookedTransformer m)
    {
        var expected = NpyFile.Read(TinyGpt2.Expected("logits_all_prompt0.npy"));
        var logits = m.Forward(TokenBatch.Single(TinyGpt2.PromptIds[0]));
        TensorAssert.Close(expected, logits.Reshape(logits.Dim(1), logits.Dim(2)), $"{m.Device} logits_all_prompt0");
    }

    public static void EveryCachedActivationMatchesReference(HookedTransformer m)
    {
        var (_, cache) = m.RunWithCache(TokenBatch.Single(TinyGpt2.PromptIds[0]));
        var files = Directory.GetFiles(TinyGpt2.Expected("cache_prompt0"), "*.npy");
        Assert.Equal(38, files.Length);
        foreach (var file in files)
        {
            string name = Path.GetFileNameWithoutExtension(file);
            var actual = cache[name];
            TensorAssert.Close(NpyFile.Read(file), actual.Reshape(actual.Shape[1..]), $"{m.Device} {name}");
        }
    }

    public static void PaddedBatchMatchesEachPromptAlone(HookedTransformer m)
    {
        var ids = TinyGpt2.PromptIds;
        var batch = TokenBatch.FromSequences(ids);
        Assert.True(batch.IsPadded);
        var expected = NpyFile.Read(TinyGpt2.Expected("logits_last.npy"));
        var (result, cache) = m.RunWithCache(batch, n => n == "blocks.2.attn.hook_z" || n == "blocks.1.attn.hook_pattern", new ForwardOptions { Logits = LogitsMode.LastPosition });
        var (_, cpu) = TinyGpt2.Model.RunWithCache(batch, n => n == "blocks.1.attn.hook_pattern");
        TensorAssert.Close(cpu["blocks.1.attn.hook_pattern"], cache["blocks.1.attn.hook_pattern"], $"{m.Device} padded pattern (masked keys and pad rows are 0)");
        for (int b = 0; b < ids.Count; b++)
        {
            TensorAssert.Close(expected.Slice(b), result.Logits!.Slice(b, 0), $"{m.Device} padded logits[{b}]");
            var (_, alone) = TinyGpt2.Model.RunWithCache(TokenBatch.Single(ids[b]), n => n == "blocks.2.attn.hook_z");
            var zBatch = cache["blocks.2.attn.hook_z"].Slice(b).Slice(batch.PadLeft(b) * 64);
            TensorAssert.Close(alone["blocks.2.attn.hook_z"].Data, zBatch, $"{m.Device} padded z[{b}]");
        }
    }

    public static void StartAndStopAtLayerReproduceTheFullRun(HookedTransformer m)
    {
        var batch = TokenBatch.FromSequences(TinyGpt2.PromptIds);
        var full = m.Forward(batch, LogitsMode.LastPosition);
        var prefix = m.Run(batch, new ForwardOptions { StopAtLayer = 2 });
        Assert.Null(prefix.Logits);
        TensorAssert.Close(TinyGpt2.Model.Run(batch, new ForwardOptions { StopAtLayer = 2 }).Residual, prefix.Residual, $"{m.Device} resid_pre of layer 2");
        var rest = m.Run(batch, new ForwardOptions { StartAtLayer = 2, StartResidual = prefix.Residual, Logits = LogitsMode.LastPosition });
        Assert.Equal(full.Data, rest.Logits!.Data);
    }

    public static void HooksEditActivationsOnTheDevice(HookedTransformer m)
    {
        var batch = TokenBatch.Single(TinyGpt2.PromptIds[0]);
        var options = new ForwardOptions { Logits = LogitsMode.LastPosition };
        var baseline = m.Forward(batch, LogitsMode.LastPosition);
        var noop = m.RunWithHooks(batch, [new NamedHook("blocks.1.attn.hook_z", (_, _) => { })], options);
        Assert.Equal(baseline.Data, noop.Logits!.Data);
        // ablate head 2 of layer 1 and scale the layer-0 MLP output: the device must see the edits exactly as the CPU engine does
        NamedHook[] edits =
        [
            new("blocks.1.attn.hook_z", (z, _) => { for (int t = 0; t < z.Dim(1); t++) z.Slice(0, t, 2).Clear(); }),
            new("blocks.0.hook_mlp_out", (x, _) => System.Numerics.Tensors.TensorPrimitives.Multiply(x.Span, 0.5f, x.Span)),
        ];
        var edited = m.RunWithHooks(batch, edits, options).Logits!;
        Assert.NotEqual(baseline.Data, edited.Data);
        TensorAssert.Close(TinyGpt2.Model.RunWithHooks(batch, edits, options).Logits!, edited, $"{m.Device} hooked logits vs cpu");
    }

    public static void HookResultMatchesTheCpuAndSumsToAttentionOutput(HookedTransformer m)
    {
        var batch = TokenBatch.FromSequences([TinyGpt2.PromptIds[1], TinyGpt2.PromptIds[2]]);
        static bool Filter(string n) => n.StartsWith("blocks.1.") || n.StartsWith("ln_final");
        var (logits, cache) = m.RunWithCache(batch, Filter);
        var (cpuLogits, cpu) = TinyGpt2.Model.RunWithCache(batch, Filter);
        foreach (var name in cpu.Names) CloseWithMaskedEntries(cpu[name], cache[name], $"{m.Device} {name}");
        TensorAssert.Close(cpuLogits.Logits!, logits.Logits!, $"{m.Device} logits with ln_final hooks");
    }

    // attention scores hold −inf where masked: those must be −inf in both, the rest within the tolerance
    private static void CloseWithMaskedEntries(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.Data.ToArray(); var a = actual.Data.ToArray();
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(float.IsNegativeInfinity(e[i]) == float.IsNegativeInfinity(a[i]), $"{what}: element {i} is {a[i]}, expected {e[i]}");
            if (float.IsNegativeInfinity(e[i])) e[i] = a[i] = 0f;
        }
        TensorAssert.Close(e, a, what);
    }

    public static void ErfGeluMatchesTheCpuEngine(DeviceKindFactory onDevice)
    {
        var weights = TinyGpt2.Model.Weights;
        var erf = new Gpt2Weights(weights.Config with { Activation = "gelu" });
        weights.Buffer.CopyTo(erf.Buffer, 0);
        var cpu = new HookedTransformer(erf);
        var device = onDevice(erf);
        var batch = TokenBatch.Single(TinyGpt2.PromptIds[3]);
        var (_, expected) = cpu.RunWithCache(batch, n => n.EndsWith("mlp.hook_post"));
        var (_, actual) = device.RunWithCache(batch, n => n.EndsWith("mlp.hook_post"));
        foreach (var name in expected.Names) TensorAssert.Close(expected[name], actual[name], $"{device.Device} erf {name}");
    }
}

internal delegate HookedTransformer DeviceKindFactory(Gpt2Weights weights);
