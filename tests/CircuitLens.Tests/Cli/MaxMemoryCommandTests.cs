// `patch --max-memory SIZE`: prints the memory plan on stderr, and a budget below the weights or a size
// that is not one is one `error:` line before any output directory is made.
namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public class MaxMemoryCommandTests
{
    [Fact]
    public void PatchPrintsThePlanAndRefusesABudgetBelowTheWeights()
    {
        string dir = Directory.CreateTempSubdirectory("circuitlens-memory-").FullName;
        try
        {
            string pairs = CliFixture.WritePairs(dir);
            string[] Args(string size, string outName) => ["patch", "--model", CliFixture.Model, "--pairs", pairs, "--sweep", "head-z", "--no-bos", "--no-plots", "--max-memory", size, "--out", Path.Combine(dir, outName)];
            var ok = CliRunner.Ok(Args("1G", "ok"));
            Assert.Contains("memory plan: budget 1.0 GiB (--max-memory)", ok.Stderr);
            CliRunner.AssertUserError(CliRunner.Run(Args("10M", "no")), "weights alone need", "10.0 MiB");
            CliRunner.AssertUserError(CliRunner.Run(Args("ten", "no")), "--max-memory 'ten' is not a size");
            Assert.False(Directory.Exists(Path.Combine(dir, "no")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
