// The README's ten-line library example, run on the tiny fixture (layer 2 instead of 9: it has 3 layers).
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tensors;

namespace CircuitLens.Tests;

public class ReadmeExampleTests
{
    [Fact]
    public void LibraryExampleRuns()
    {
        var model = HookedTransformer.FromPretrained(Model.TinyGpt2.ModelDir);
        var tokens = TokenBatch.Single(model.ToTokens("When John and Mary went to the shops, John gave the bag to"));
        var (result, cache) = model.RunWithCache(tokens, name => name.EndsWith("attn.hook_z"));
        Tensor z2 = cache["blocks.2.attn.hook_z"];
        var ablated = model.RunWithHooks(tokens, [new NamedHook("blocks.2.attn.hook_z", (z, ctx) => z.Span.Clear())]);
        var pairs = new PatchingBatch([model.ToTokens("When John and Mary went to the shops, Mary gave the bag to")],
            [model.ToTokens("When John and Mary went to the shops, John gave the bag to")],
            [model.Tokenizer.TokenId(" John")], [model.Tokenizer.TokenId(" Mary")]);
        Tensor map = FastActivationPatching.Run(model, pairs, Sweep.HeadZ).NormalizedMean();

        Assert.Equal(new[] { 1, 15, 4, 16 }, z2.Shape);           // BOS + 14 tokens
        Assert.Equal(3, cache.Count);
        Assert.NotEqual(result.Logits!.Data, ablated.Logits!.Data);
        Assert.Equal(new[] { 3, 4 }, map.Shape);
    }
}
