using CircuitLens.Reports;

namespace CircuitLens.Tests.Reports;

public class ReportFilesTests
{
    [Fact]
    public void WritesReplacesAndLeavesNoTemporaryFiles()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cl-files-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "a", "out.svg");
            ReportFiles.WriteAtomic(path, "first");
            ReportFiles.WriteAtomic(path, "second ·");
            Assert.Equal("second ·", File.ReadAllText(path));
            ReportFiles.WriteAtomic(path, new byte[] { 1, 2, 3 });
            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(Path.Combine(dir, "a")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void UnwritablePathIsAOneLineError()
    {
        string file = Path.GetTempFileName();
        try
        {
            // A path "below" a regular file cannot be created.
            var e = Assert.Throws<CircuitLensException>(() => ReportFiles.WriteAtomic(Path.Combine(file, "x.html"), "x"));
            Assert.Contains("x.html", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally { File.Delete(file); }
    }
}
