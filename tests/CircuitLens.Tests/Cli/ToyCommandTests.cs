// `circuitlens toy` end to end: the written checkpoint loads, `heads detect` on it ranks the planted
// heads first, and truth.json is a circuit file `circuit check` accepts (the planted circuit is faithful).
using System.Text.Json;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class ToyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-clitoy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void InductionToyIsDetectedAndItsTruthChecks()
    {
        string toy = Path.Combine(_dir, "toy");
        var made = CliRunner.Run(["toy", "induction", "--out", toy]);
        Assert.True(made.Exit == 0, made.ToString());
        Assert.True(File.Exists(Path.Combine(toy, "model", "config.json")) && File.Exists(Path.Combine(toy, "model", "model.safetensors")));
        using (var truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(toy, "truth.json"))))
        {
            Assert.Equal(["0.0", "1.0"], truth.RootElement.GetProperty("heads").EnumerateArray().Select(h => h.GetProperty("head").GetString()));
            Assert.Equal(2, truth.RootElement.GetProperty("edges").GetArrayLength());
        }

        string detect = Path.Combine(_dir, "detect");
        var d = CliRunner.Run(["heads", "detect", "--model", Path.Combine(toy, "model"), "--n", "4", "--length", "12", "--no-plots", "--out", detect]);
        Assert.True(d.Exit == 0, d.ToString());
        Assert.Contains("previous_token\ttop head 0.0", d.Stdout);
        Assert.Contains("induction\ttop head 1.0", d.Stdout);
        var induction = NpyFile.Read(Path.Combine(detect, "induction.npy"));
        Assert.Equal([2, 4], induction.Shape);
        using (var scores = JsonDocument.Parse(File.ReadAllText(Path.Combine(detect, "scores.json"))))
            Assert.Equal(induction[1, 0], scores.RootElement.GetProperty("induction")[1][0].GetSingle());

        // pairs by token ids: r r[..3] → r[3]; zero ablation needs no reference prompts
        var rng = new Random(1);
        string pairs = Path.Combine(_dir, "pairs.jsonl");
        var lines = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            var r = Enumerable.Range(0, 10).Select(_ => rng.Next(50000)).ToArray();
            int[] clean = [.. r, .. r[..3]];
            var corrupt = (int[])clean.Clone(); corrupt[2] = 7;
            lines.Add(JsonSerializer.Serialize(new { clean_ids = clean, corrupt_ids = corrupt, answer_id = r[3], wrong_id = 7 }));
        }
        File.WriteAllLines(pairs, lines);
        string check = Path.Combine(_dir, "check");
        var c = CliRunner.Run(["circuit", "check", "--model", Path.Combine(toy, "model"), "--pairs", pairs, "--circuit", Path.Combine(toy, "truth.json"),
            "--ablation", "zero", "--greedy-steps", "1", "--random-subsets", "0", "--out", check]);
        Assert.True(c.Exit == 0, c.ToString());
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(check, "check.json")));
        Assert.Equal(0, result.RootElement.GetProperty("faithfulness").GetDouble());
        Assert.True(result.RootElement.GetProperty("f_model").GetDouble() > 3);

        // discovery finds the planted heads and writes a circuit `circuit check` accepts
        string found = Path.Combine(_dir, "found");
        var f = CliRunner.Run(["circuit", "discover", "--model", Path.Combine(toy, "model"), "--pairs", pairs, "--method", "eap-ig", "--top", "3",
            "--classes", Path.Combine(toy, "truth.json"), "--out", found]);
        Assert.True(f.Exit == 0, f.ToString());
        Assert.Contains("2 heads: 0.0 1.0", f.Stdout);
        System.Xml.Linq.XDocument.Parse(File.ReadAllText(Path.Combine(found, "graph.svg")));
        Assert.Contains("induction", File.ReadAllText(Path.Combine(found, "circuit.json")));
        Assert.True(File.ReadAllLines(Path.Combine(found, "edges.csv")).Length > 10);
        var again = CliRunner.Run(["circuit", "check", "--model", Path.Combine(toy, "model"), "--pairs", pairs, "--circuit", Path.Combine(found, "circuit.json"),
            "--ablation", "zero", "--greedy-steps", "0", "--random-subsets", "0", "--out", Path.Combine(_dir, "check2")]);
        Assert.True(again.Exit == 0, again.ToString());
    }

    [Fact]
    public void IoiToyWritesItsTruthAndPredictsTheIndirectObject()
    {
        string toy = Path.Combine(_dir, "ioi");
        var made = CliRunner.Run(["toy", "ioi", "--out", toy]);
        Assert.True(made.Exit == 0, made.ToString());
        Assert.Contains("2.0\tname mover", made.Stdout);
        var logits = CliRunner.Run(["logits", "--model", Path.Combine(toy, "model"), "--prompt", "When John and Mary went to the shops, Mary gave the bag to", "--top", "1"]);
        Assert.True(logits.Exit == 0, logits.ToString());
        Assert.Contains(" John", logits.Stdout);
        var bad = CliRunner.Run(["toy", "nope", "--out", Path.Combine(_dir, "x")]);
        Assert.Equal(1, bad.Exit);
        Assert.Contains("'nope' not recognized", bad.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "x")));
    }

    [Fact]
    public void HeadsDetectWithPairsWritesTheIoiRoleMaps()
    {
        string outDir = Path.Combine(_dir, "roles");
        var r = CliRunner.Run(["heads", "detect", "--model", CliFixture.Model, "--n", "2", "--length", "6", "--no-bos",
            "--pairs", CircuitLens.Tests.Circuits.CircuitFixtures.File("pairs.jsonl"), "--out", outDir]);
        Assert.True(r.Exit == 0, r.ToString());
        foreach (var name in new[] { "previous_token", "duplicate_token", "induction", "end_to_io", "end_to_s", "copy_score", "negative_copy_score" })
        {
            var t = NpyFile.Read(Path.Combine(outDir, name + ".npy"));
            Assert.Equal([3, 4], t.Shape);
            Assert.All(t.Data, v => Assert.InRange(v, 0f, 1f));
            Assert.True(File.Exists(Path.Combine(outDir, name + ".svg")));
        }
        // end→IO + end→S is attention mass, so at most 1 per head
        var io = NpyFile.Read(Path.Combine(outDir, "end_to_io.npy")); var s = NpyFile.Read(Path.Combine(outDir, "end_to_s.npy"));
        Assert.All(Enumerable.Range(0, 12), i => Assert.True(io.Data[i] + s.Data[i] <= 1.0001f));
        CliRunner.AssertUserError(CliRunner.Run(["heads", "detect", "--model", CliFixture.Model, "--pairs", TinyGpt2Expected("metrics", "prob_diff", "pairs.jsonl"), "--out", Path.Combine(_dir, "bad")]), "logit-diff");
    }

    private static string TinyGpt2Expected(params string[] parts) => CircuitLens.Tests.Model.TinyGpt2.Expected(parts);
}
