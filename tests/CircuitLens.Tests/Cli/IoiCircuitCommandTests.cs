// `circuitlens ioi`'s circuit step on the tiny model: it writes circuit/ (classes, checks, path-patching
// maps) with sane contents, the classes (backup name movers from the knock-out too) follow the rule written in classes.json (recomputed here from
// the written measurements), F(M) of the check equals the clean metric of path patching (nothing
// ablated), the report carries the tables, and --no-circuit skips it all.
using System.Text.Json;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class IoiCircuitCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-ioicircuit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Run(string runsDir, params string[] extra)
    {
        var result = CliRunner.Run(["ioi", "--model", CliFixture.Model, "--filter", "none", "--n", "8", "--sweep", "head-z", "--runs-dir", Path.Combine(_dir, runsDir), .. extra]);
        Assert.True(result.Exit == 0, result.ToString());
        return Assert.Single(Directory.GetDirectories(Path.Combine(_dir, runsDir)));
    }

    [Fact]
    public void WritesTheCircuitFilesAndTheClassesFollowTheWrittenRule()
    {
        string run = Run("runs");
        string dir = Path.Combine(run, "circuit");
        foreach (var file in new[] { "classes.json", "check-found.json", "abc.jsonl", "detectors.npy", "roles.npy", "circuit-found.json",
                     "path-patch-logits/path-patch_normalized_mean.npy", "path-patch-logits/path-patch.npy" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        Assert.False(File.Exists(Path.Combine(dir, "check-paper.json")), "the paper's circuit needs a 12 × 12 model");
        Assert.Equal(new[] { 3, 3, 4 }, NpyFile.Read(Path.Combine(dir, "detectors.npy")).Shape);
        Assert.Equal(new[] { 4, 3, 4 }, NpyFile.Read(Path.Combine(dir, "roles.npy")).Shape);
        var meanMap = NpyFile.Read(Path.Combine(dir, "path-patch-logits/path-patch_normalized_mean.npy"));
        Assert.Equal(new[] { 3, 4 }, meanMap.Shape);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "classes.json")));
        var root = doc.RootElement;
        Assert.Equal(8, root.GetProperty("pairs").GetInt32());
        var heads = root.GetProperty("heads").EnumerateArray().ToList();
        Assert.Equal(12, heads.Count);
        var t = root.GetProperty("thresholds");
        double frac = t.GetProperty("path_fraction").GetDouble(), floor = t.GetProperty("path_floor").GetDouble();
        double copyMin = t.GetProperty("copy").GetDouble(), detMin = t.GetProperty("detector").GetDouble();
        int maxPer = t.GetProperty("max_per_detector_class").GetInt32();
        Assert.Equal(8, root.GetProperty("rule").EnumerateObject().Count());   // seven classes and the order

        double? Num(JsonElement h, string name) => h.GetProperty(name).ValueKind == JsonValueKind.Null ? null : h.GetProperty(name).GetDouble();
        foreach (var h in heads)
        {
            foreach (var name in new[] { "end_to_io", "end_to_s", "copy_score", "negative_copy_score", "previous_token", "duplicate_token", "induction" })
                Assert.InRange(Num(h, name)!.Value, 0, 1 + 1e-5);
            Assert.True(Num(h, "path_to_logits") is { } v && double.IsFinite(v), "every head has a direct path to the logits");
        }
        // the written path effects are the written map's
        for (int i = 0; i < 12; i++) Assert.Equal(meanMap.Data[i], Num(heads[i], "path_to_logits")!.Value, 5);

        // recompute the classification from the written measurements
        double Strong(string field)
        {
            var values = heads.Select(h => Num(h, field)).Where(v => v is not null).Select(v => Math.Abs(v!.Value)).ToList();
            return Math.Max(frac * (values.Count == 0 ? 0 : values.Max()), floor);
        }
        var expected = new Dictionary<string, string>();
        double sl = Strong("path_to_logits"), sq = Strong("path_to_name_mover_queries"), sb = Strong("knockout_direct_effect_growth");
        foreach (var h in heads)
        {
            string id = h.GetProperty("head").GetString()!;
            double pl = Num(h, "path_to_logits")!.Value;
            bool io = Num(h, "end_to_io") > Num(h, "end_to_s");
            if (pl <= -sl && io && Num(h, "copy_score") >= copyMin) expected[id] = "name mover";
            else if (Num(h, "knockout_direct_effect_growth") is { } g && g >= sb) expected[id] = "backup name mover";
            else if (pl >= sl && io) expected[id] = "negative name mover";
        }
        // the knocked-out heads are the name movers, and only they have no growth of their own
        var knocked = root.GetProperty("knocked_out").EnumerateArray().Select(x => x.GetString()!).Order().ToList();
        Assert.Equal(expected.Where(kv => kv.Value == "name mover").Select(kv => kv.Key).Order(), knocked);
        foreach (var h in heads)
            Assert.Equal(knocked.Count > 0 && !knocked.Contains(h.GetProperty("head").GetString()!), Num(h, "knockout_direct_effect_growth") is not null);
        foreach (var h in heads)
        {
            string id = h.GetProperty("head").GetString()!;
            if (!expected.ContainsKey(id) && Num(h, "path_to_name_mover_queries") is { } q && q <= -sq) expected[id] = "s-inhibition";
        }
        foreach (var (cls, field) in new[] { ("induction", "induction"), ("duplicate token", "duplicate_token"), ("previous token", "previous_token") })
        {
            var range = root.GetProperty("layer_ranges").GetProperty(cls).EnumerateArray().Select(x => x.GetInt32()).ToArray();
            foreach (var h in heads.Where(h => !expected.ContainsKey(h.GetProperty("head").GetString()!))
                         .Where(h => int.Parse(h.GetProperty("head").GetString()!.Split('.')[0]) is var l && l >= range[0] && l <= range[1] && Num(h, field) >= detMin)
                         .OrderByDescending(h => Num(h, field)).Take(maxPer))
                expected[h.GetProperty("head").GetString()!] = cls;
        }
        var written = heads.Where(h => h.GetProperty("class").ValueKind != JsonValueKind.Null).ToDictionary(h => h.GetProperty("head").GetString()!, h => h.GetProperty("class").GetString()!);
        Assert.Equal(expected.OrderBy(kv => kv.Key), written.OrderBy(kv => kv.Key));
        foreach (var cls in root.GetProperty("classes").EnumerateObject())
            Assert.Equal(written.Where(kv => kv.Value == cls.Name).Select(kv => kv.Key).Order(), cls.Value.EnumerateArray().Select(x => x.GetString()!).Order());

        // the found circuit is what was classified; F(M) is the unablated clean metric
        using var check = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "check-found.json")));
        var c = check.RootElement;
        Assert.Equal("mean", c.GetProperty("ablation").GetString());
        Assert.Equal(8, c.GetProperty("pair_count").GetInt32());
        var clean = NpyFile.Read(Path.Combine(dir, "path-patch-logits/clean_metric.npy"));
        Assert.Equal(clean.Data.Average(x => (double)x), c.GetProperty("f_model").GetDouble(), 4);
        Assert.Equal(Math.Abs(c.GetProperty("f_model").GetDouble() - c.GetProperty("f_circuit").GetDouble()), c.GetProperty("faithfulness").GetDouble(), 6);
        using var found = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "circuit-found.json")));
        Assert.Equal(written.Keys.Order(), found.RootElement.GetProperty("heads").EnumerateArray().Select(h => h.GetProperty("head").GetString()!).Order());

        // ABC corruptions: same length, IO and S gone from the corrupted prompt
        foreach (var line in File.ReadLines(Path.Combine(dir, "abc.jsonl")))
        {
            using var row = JsonDocument.Parse(line);
            string corrupt = row.RootElement.GetProperty("corrupt").GetString()!;
            Assert.DoesNotContain(row.RootElement.GetProperty("io").GetString()!, corrupt);
            Assert.DoesNotContain(row.RootElement.GetProperty("s").GetString()!, corrupt);
            Assert.Equal("abc", row.RootElement.GetProperty("corruption").GetString());
        }

        string report = File.ReadAllText(Path.Combine(run, "report.html"));
        foreach (var heading in new[] { "Circuit analysis: classification rule", "Circuit analysis: heads found", "Circuit analysis: circuit check" })
            Assert.Contains(heading, report);
    }

    [Fact]
    public void NoCircuitSkipsTheStep()
    {
        string run = Run("runs", "--no-circuit");
        Assert.False(Directory.Exists(Path.Combine(run, "circuit")));
        Assert.DoesNotContain("Circuit analysis", File.ReadAllText(Path.Combine(run, "report.html")));
    }
}
