// The PyTorch comparison (bench/CircuitLens.Bench.Torch) restores LibTorch, ≈ 600 MB of native libraries, so it
// must stay out of the solution that `dotnet test CircuitLens.slnx` and CI build: these tests read the solution and
// every project it lists and fail if TorchSharp or the torch project gets into them. They never load LibTorch.
using System.Xml.Linq;

namespace CircuitLens.Tests;

public sealed class TorchBenchIsolationTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CircuitLens.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no CircuitLens.slnx above {AppContext.BaseDirectory}");
    }

    private static List<string> SolutionProjects(string root) =>
        XDocument.Load(Path.Combine(root, "CircuitLens.slnx")).Descendants("Project")
            .Select(p => (string?)p.Attribute("Path") ?? throw new InvalidDataException("a <Project> without Path in CircuitLens.slnx")).ToList();

    [Fact]
    public void TheSolutionListsItsProjectsButNotTheTorchBench()
    {
        string root = RepoRoot();
        var projects = SolutionProjects(root);
        Assert.Contains("src/CircuitLens/CircuitLens.csproj", projects);
        Assert.Contains("tests/CircuitLens.Tests/CircuitLens.Tests.csproj", projects);
        Assert.DoesNotContain(projects, p => p.Contains("Torch", StringComparison.OrdinalIgnoreCase));
        Assert.True(File.Exists(Path.Combine(root, "bench", "CircuitLens.Bench.Torch", "CircuitLens.Bench.Torch.csproj")));
    }

    [Fact]
    public void NoProjectOfTheSolutionReferencesTorchSharpOrTheTorchBench()
    {
        string root = RepoRoot();
        var references = SolutionProjects(root).SelectMany(project => XDocument.Load(Path.Combine(root, project)).Descendants()
            .Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference")
            .Select(e => $"{project}: {(string?)e.Attribute("Include")}")).ToList();
        Assert.Contains(references, r => r.EndsWith("/CircuitLens.csproj", StringComparison.Ordinal));   // the references were read
        Assert.DoesNotContain(references, r => r.Contains("Torch", StringComparison.OrdinalIgnoreCase));
    }
}
