// The 8-prompt demo set: exact prompts, answers and S2-swap corruptions.
using CircuitLens.Tasks.Ioi;

namespace CircuitLens.Tests.Tasks;

public class IoiDemoSetTests
{
    [Fact]
    public void DemoSetHasTheEightPromptsInDemoOrder()
    {
        var pairs = IoiDemoSet.Pairs();
        (string Clean, string Answer, string Wrong)[] expected =
        [
            ("When John and Mary went to the shops, John gave the bag to", " Mary", " John"),
            ("When John and Mary went to the shops, Mary gave the bag to", " John", " Mary"),
            ("When Tom and James went to the park, James gave the ball to", " Tom", " James"),
            ("When Tom and James went to the park, Tom gave the ball to", " James", " Tom"),
            ("When Dan and Sid went to the shops, Sid gave an apple to", " Dan", " Sid"),
            ("When Dan and Sid went to the shops, Dan gave an apple to", " Sid", " Dan"),
            ("After Martin and Amy went to the park, Amy gave a drink to", " Martin", " Amy"),
            ("After Martin and Amy went to the park, Martin gave a drink to", " Amy", " Martin"),
        ];
        Assert.Equal(expected.Length, pairs.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Clean, pairs[i].Clean);
            Assert.Equal(expected[i].Answer, pairs[i].Answer);
            Assert.Equal(expected[i].Wrong, pairs[i].Wrong);
            // the corruption is the other prompt of the same sentence (S2 swapped)
            Assert.Equal(expected[i ^ 1].Clean, pairs[i].Corrupt);
            Assert.Equal("s2-swap", pairs[i].Corruption);
            Assert.Equal(9, pairs[i].S2Pos);
            Assert.Equal(13, pairs[i].EndPos);
        }
    }
}
