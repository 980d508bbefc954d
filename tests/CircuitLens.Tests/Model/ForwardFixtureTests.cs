// The forward pass against the float64 PyTorch reference on the tiny GPT-2 fixture (run without BOS).
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Model;

public class ForwardFixtureTests
{
    [Fact]
    public void LastPositionLogitsMatchReferenceForEachPromptAlone()
    {
        var expected = NpyFile.Read(TinyGpt2.Expected("logits_last.npy"));
        var ids = TinyGpt2.PromptIds;
        for (int i = 0; i < ids.Count; i++)
        {
            var logits = TinyGpt2.Model.Forward(TokenBatch.Single(ids[i]), LogitsMode.LastPosition);
            TensorAssert.Close(expected.Slice(i), logits.Slice(0, 0), $"logits_last[{i}]");
        }
    }

    [Fact]
    public void AllPositionLogitsMatchReference()
    {
        var expected = NpyFile.Read(TinyGpt2.Expected("logits_all_prompt0.npy"));
        var logits = TinyGpt2.Model.Forward(TokenBatch.Single(TinyGpt2.PromptIds[0]));
        TensorAssert.Close(expected, logits.Reshape(logits.Dim(1), logits.Dim(2)), "logits_all_prompt0");
    }

    [Fact]
    public void EveryCachedActivationMatchesReference()
    {
        var (_, cache) = TinyGpt2.Model.RunWithCache(TokenBatch.Single(TinyGpt2.PromptIds[0]));
        var files = Directory.GetFiles(TinyGpt2.Expected("cache_prompt0"), "*.npy");
        Assert.Equal(38, files.Length);
        foreach (var file in files)
        {
            string name = Path.GetFileNameWithoutExtension(file);
            var expected = NpyFile.Read(file);
            var actual = cache[name];
            TensorAssert.Close(expected, actual.Reshape(actual.Shape[1..]), name);
        }
    }

    [Fact]
    public void PaddedBatchGivesTheSameNumbersAsEachPromptAlone()
    {
        var ids = TinyGpt2.PromptIds;
        var batch = TokenBatch.FromSequences(ids);
        Assert.True(batch.IsPadded);
        var expected = NpyFile.Read(TinyGpt2.Expected("logits_last.npy"));
        var (result, cache) = TinyGpt2.Model.RunWithCache(batch, n => n.EndsWith("hook_z") || n.EndsWith("hook_pattern"), new ForwardOptions { Logits = LogitsMode.LastPosition });
        for (int b = 0; b < ids.Count; b++)
        {
            TensorAssert.Close(expected.Slice(b), result.Logits!.Slice(b, 0), $"padded logits[{b}]");
            var (_, alone) = TinyGpt2.Model.RunWithCache(TokenBatch.Single(ids[b]), n => n == "blocks.2.attn.hook_z");
            int pad = batch.PadLeft(b);
            var zBatch = cache["blocks.2.attn.hook_z"].Slice(b).Slice(pad * 64);
            TensorAssert.Close(alone["blocks.2.attn.hook_z"].Data, zBatch, $"padded z[{b}]");
        }
    }

    [Fact]
    public void StartAndStopAtLayerReproduceTheFullRun()
    {
        var batch = TokenBatch.FromSequences(TinyGpt2.PromptIds);
        var full = TinyGpt2.Model.Forward(batch, LogitsMode.LastPosition);
        var prefix = TinyGpt2.Model.Run(batch, new ForwardOptions { StopAtLayer = 2 });
        Assert.Null(prefix.Logits);
        var rest = TinyGpt2.Model.Run(batch, new ForwardOptions { StartAtLayer = 2, StartResidual = prefix.Residual, Logits = LogitsMode.LastPosition });
        Assert.Equal(full.Data, rest.Logits!.Data);
    }

    [Fact]
    public void HookCanReplaceAnActivation()
    {
        var batch = TokenBatch.Single(TinyGpt2.PromptIds[0]);
        var baseline = TinyGpt2.Model.Forward(batch, LogitsMode.LastPosition);
        // zero-ablating every head of every layer must change the output; a no-op hook must not
        var noop = TinyGpt2.Model.RunWithHooks(batch, [new NamedHook("blocks.1.attn.hook_z", (_, _) => { })], new ForwardOptions { Logits = LogitsMode.LastPosition });
        Assert.Equal(baseline.Data, noop.Logits!.Data);
        var ablated = TinyGpt2.Model.RunWithHooks(batch, [new NamedHook("blocks.1.attn.hook_z", (act, _) => act.Span.Clear())], new ForwardOptions { Logits = LogitsMode.LastPosition });
        Assert.NotEqual(baseline.Data, ablated.Logits!.Data);
    }

    [Fact]
    public void HookResultSumsToAttentionOutput()
    {
        var batch = TokenBatch.Single(TinyGpt2.PromptIds[1]);
        var (_, cache) = TinyGpt2.Model.RunWithCache(batch, n => n.StartsWith("blocks.1."));
        var result = cache["blocks.1.attn.hook_result"];          // (1,T,NH,C)
        var attnOut = cache["blocks.1.hook_attn_out"];             // (1,T,C)
        var bias = TinyGpt2.Model.Weights.Read(TinyGpt2.Model.Weights.Layers[1].AttnOutBias);
        int T = attnOut.Dim(1), H = 4, C = 64;
        var sum = new float[T * C];
        for (int t = 0; t < T; t++)
            for (int c = 0; c < C; c++)
            {
                float s = bias[c];
                for (int h = 0; h < H; h++) s += result[0, t, h, c];
                sum[t * C + c] = s;
            }
        TensorAssert.Close(attnOut.Data, sum, "Σ_h hook_result + b_O");
        Assert.Equal(new[] { 1, T, 1 }, cache["blocks.1.ln1.hook_scale"].Shape);
    }

    [Fact]
    public void UnknownHookNameIsAClearError()
    {
        var e = Assert.Throws<CircuitLensException>(() => TinyGpt2.Model.RunWithHooks(TokenBatch.Single([1, 2]), [new NamedHook("blocks.7.attn.hook_z", (_, _) => { })]));
        Assert.Contains("blocks.7.attn.hook_z", e.Message);
    }

    [Fact]
    public void TokenizerReproducesTheFixturePromptIds()
    {
        var prompts = TinyGpt2.Prompts; var ids = TinyGpt2.PromptIds;
        for (int i = 0; i < prompts.Count; i++) Assert.Equal(ids[i], TinyGpt2.Model.ToTokens(prompts[i], prependBos: false));
        Assert.Equal(50256, TinyGpt2.Model.ToTokens("Hi")[0]);
    }
}

public class ActivationCacheFileTests
{
    [Fact]
    public void CacheRoundTripsThroughNpyAndSafetensors()
    {
        var (_, cache) = TinyGpt2.Model.RunWithCache(TokenBatch.Single(TinyGpt2.PromptIds[1]), n => n.StartsWith("blocks.1."));
        string dir = Path.Combine(Path.GetTempPath(), "cl-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            cache.SaveNpy(dir);
            cache.SaveSafetensors(Path.Combine(dir, "cache.safetensors"));
            var loaded = ActivationCache.LoadSafetensors(Path.Combine(dir, "cache.safetensors"));
            Assert.Equal(cache.Names.OrderBy(n => n), loaded.Names.OrderBy(n => n));
            foreach (var name in cache.Names)
            {
                Assert.Equal(cache[name].Data, loaded[name].Data);
                Assert.Equal(cache[name].Data, NpyFile.Read(Path.Combine(dir, name + ".npy")).Data);
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
