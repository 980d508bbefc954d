// A fresh run directory runs/<task>-<yyyyMMdd-HHmmss>: a run started in the same second gets a
// suffix instead of mixing its artefacts with another run's.
namespace CircuitLens.Tasks.Experiments;

public static class ExperimentDirectory
{
    public static string New(string runsDir, string task)
    {
        string stamp = $"{task}-{DateTime.Now:yyyyMMdd-HHmmss}";
        string dir = Path.Combine(runsDir, stamp);
        for (int i = 2; Directory.Exists(dir); i++) dir = Path.Combine(runsDir, $"{stamp}-{i}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
