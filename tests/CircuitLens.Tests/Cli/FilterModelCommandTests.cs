// `circuitlens filter model` end to end on the fixture pairs (no BOS): the report's logit differences
// against the float64 reference, and the kept rows agreeing with their signs.
using System.Text.Json;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class FilterModelCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clifiltermodel-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SignModeReportsReferenceLogitDiffsAndKeepsTheRightRows()
    {
        string pairs = CliFixture.WritePairs(_dir), kept = Path.Combine(_dir, "kept.jsonl"), report = Path.Combine(_dir, "report.json");
        var result = CliRunner.Run("filter", "model", "--model", CliFixture.Model, "--in", pairs, "--out", kept, "--no-bos", "--mode", "sign", "--report", report);

        var clean = NpyFile.Read(TinyGpt2.Expected("patch", "clean_logit_diff.npy")).Data;
        var corrupt = NpyFile.Read(TinyGpt2.Expected("patch", "corrupt_logit_diff.npy")).Data;
        var expectedKept = Enumerable.Range(0, 4).Where(i => clean[i] > 0 && corrupt[i] < 0).ToArray();
        if (expectedKept.Length == 0)
        {
            CliRunner.AssertUserError(result, "no pair survived the correctness filter");
            Assert.Empty(File.ReadAllText(kept).Trim());
        }
        else Assert.True(result.Exit == 0, result.ToString());

        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.Equal("sign", json.GetProperty("mode").GetString());
        Assert.False(json.GetProperty("prepend_bos").GetBoolean());
        Assert.Equal(4, json.GetProperty("total").GetInt32());
        Assert.Equal(expectedKept.Length, json.GetProperty("kept").GetInt32());
        Assert.Equal(4 - expectedKept.Length, json.GetProperty("dropped").GetInt32());
        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(4, rows.Count);
        TensorAssert.Close(clean, rows.Select(r => r.GetProperty("clean_logit_diff").GetSingle()).ToArray(), "clean_logit_diff");
        TensorAssert.Close(corrupt, rows.Select(r => r.GetProperty("corrupt_logit_diff").GetSingle()).ToArray(), "corrupt_logit_diff");
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(i + 1, rows[i].GetProperty("row").GetInt32());
            Assert.Equal(expectedKept.Contains(i), rows[i].GetProperty("kept").GetBoolean());
        }
        TensorAssert.Close([clean.Average()], [(float)json.GetProperty("mean_clean_logit_diff").GetDouble()], "mean clean");

        if (expectedKept.Length > 0)
        {
            var keptRows = IoiJsonl.Read(kept);
            Assert.Equal(expectedKept.Select(i => TinyGpt2.Pairs[i].Clean), keptRows.Select(p => p.Clean));
        }
    }

    [Fact]
    public void DefaultReportPathSitsBesideTheOutput()
    {
        string pairs = CliFixture.WritePairs(_dir), kept = Path.Combine(_dir, "kept.jsonl");
        CliRunner.Run("filter", "model", "--model", CliFixture.Model, "--in", pairs, "--out", kept, "--no-bos");
        Assert.True(File.Exists(kept + ".report.json"));
        Assert.Equal("top1", JsonDocument.Parse(File.ReadAllText(kept + ".report.json")).RootElement.GetProperty("mode").GetString());
    }
}
