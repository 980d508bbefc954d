// ForwardCost: the FLOP count `bench forward` and the PyTorch comparison both report GFLOP/s with,
// checked against GPT-2 small's count worked out by hand.
using CircuitLens.Model;

namespace CircuitLens.Tests.Model;

public sealed class ForwardCostTests
{
    [Fact]
    public void GptSmallOneTokenIsTheLayerProductsAttentionAndOneUnembeddingRow()
    {
        // per layer 2·768·(3·768 + 768 + 2·3072) = 14,155,776 plus attention 4·1·768 = 3,072; × 12 layers; + 2·768·50257
        Assert.Equal(12 * (14_155_776.0 + 3_072.0) + 77_194_752.0, ForwardCost.Flops(Gpt2Config.Gpt2Small, 1, 1));
    }

    [Fact]
    public void AttentionGrowsWithTheSequenceAndTheUnembeddingWithPrompts()
    {
        // 64 × 128 (the forward shape): 8192 tokens × 12 × (14,155,776 + 4·128·768) + 64 × 77,194,752, worked out by hand
        Assert.Equal(1_435_164_573_696.0, ForwardCost.Flops(Gpt2Config.Gpt2Small, 64, 128));
    }
}
