// `bench forward` and `bench patch` run end to end on the tiny model and report every measured line.
namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class BenchCommandTests
{
    [Fact]
    public void BenchForwardReportsThroughputAndPeak()
    {
        var result = CliRunner.Ok("bench", "forward", "--model", CliFixture.Model, "--batch", "2", "--seq", "8", "--repeats", "1", "--threads", "1");
        Assert.Contains("tokens/s", result.Stdout);
        Assert.Contains("GEMM peak GFLOP/s", result.Stdout);
        Assert.Contains("fraction of peak", result.Stdout);
    }

    [Fact]
    public void BenchPatchReportsEverySection()
    {
        var result = CliRunner.Ok("bench", "patch", "--model", CliFixture.Model, "--pairs", "3", "--baseline-components", "2", "--chunk-size", "2", "--compare");
        foreach (var line in new[] { "fast exact sweep", "attribution patching", "plain sweep (baseline)", "one pair at a time", "1 thread", "peak working set" })
            Assert.Contains(line, result.Stdout);
        Assert.Contains("12 components × 3 pairs", result.Stdout);   // tiny model: 3 layers × 4 heads
    }

    [Fact]
    public void BenchPatchOneByOneTimesEachPairAloneNextToTheBatch()
    {
        var result = CliRunner.Ok("bench", "patch", "--model", CliFixture.Model, "--pairs", "3", "--baseline-components", "0", "--chunk-size", "3", "--one-by-one");
        var line = result.Stdout.Split('\n').Single(l => l.StartsWith("fast exact sweep, one pair at a time", StringComparison.Ordinal));
        var match = System.Text.RegularExpressions.Regex.Match(line, @"= (\d+) patches/s: batched \(chunks of 3\) is (\d+\.\d\d)× as fast");
        Assert.True(match.Success, line);
        Assert.True(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, line);
        Assert.DoesNotContain("one pair at a time", CliRunner.Ok("bench", "patch", "--model", CliFixture.Model, "--pairs", "2", "--baseline-components", "0").Stdout);
    }
}
