// Known-bad inputs kept beside the corpus: rejects/<target>/ holds files a target must refuse with
// CircuitLensException (one line for the user), e.g. circuit files naming a head the model lacks or giving
// a class that is not a string. They are not fuzz seeds, because corpus seeds must be accepted.
namespace CircuitLens.Fuzzing;

public class RejectsReplayTests
{
    public static TheoryData<string, string> Rejects
    {
        get
        {
            var data = new TheoryData<string, string>();
            string root = Path.Combine(AppContext.BaseDirectory, "rejects");
            foreach (var dir in Directory.GetDirectories(root).Order())
                foreach (var file in Directory.GetFiles(dir).Order())
                    data.Add(Path.GetFileName(dir), Path.GetFileName(file));
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Rejects))]
    public void KnownBadInputIsRefusedWithOneClearLine(string target, string file)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "rejects", target, file));
        var result = FuzzRunner.Run(FuzzTargets.Get(target), bytes, FuzzCampaign.HangLimit);
        Assert.True(result.Outcome == FuzzOutcome.Rejected, $"rejects/{target}/{file}: {result.Outcome} {result.Exception}");
        Assert.DoesNotContain('\n', result.Exception!.Message);
    }
}
