// `--shard I/N` parsing and slicing: shards are whole chunks, tile the pairs exactly once, in order.
using CircuitLens.Sharding;

namespace CircuitLens.Tests.Sharding;

public class ShardSpecTests
{
    [Theory]
    [InlineData(100, 25, 3)]
    [InlineData(4, 1, 3)]
    [InlineData(7, 2, 4)]
    [InlineData(10, 3, 1)]
    [InlineData(1000, 7, 13)]
    public void ShardsTileThePairsInWholeChunks(int pairs, int chunk, int n)
    {
        int next = 0;
        for (int i = 0; i < n; i++)
        {
            var (start, count) = new ShardSpec(i, n).PairRange(pairs, chunk);
            Assert.Equal(next, start);
            Assert.True(count > 0, $"shard {i}/{n} is empty");
            Assert.Equal(0, start % chunk);
            Assert.True(count % chunk == 0 || start + count == pairs, $"shard {i}/{n} ends inside a chunk");
            next += count;
        }
        Assert.Equal(pairs, next);
    }

    [Theory]
    [InlineData("3/3", "0..2")]
    [InlineData("-1/3", "0..2")]
    [InlineData("1/0", "at least 1")]
    [InlineData("1of3", "I/N")]
    [InlineData("a/b", "I/N")]
    public void BadSpecsAreClearErrors(string text, string message)
    {
        var e = Assert.Throws<CircuitLensException>(() => ShardSpec.Parse(text));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void MoreShardsThanChunksIsAnError()
    {
        var e = Assert.Throws<CircuitLensException>(() => new ShardSpec(0, 5).PairRange(4, 1));
        Assert.Contains("at most 4 shards", e.Message);
        Assert.Equal((2, 2), ShardSpec.Parse("1/2").PairRange(4, 1));
    }
}
