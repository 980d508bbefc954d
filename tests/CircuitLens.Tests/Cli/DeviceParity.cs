// "Run a command on cpu and on a device (ilgpu-cpu, or cuda where there is one), compare what it wrote": the
// check every model-running command's --device test shares. The command runs twice in-process, each time into its own fresh directory; the
// directory it reports on stdout (its last line: a run's report.html or its output directory) is the
// result, else the directory it was given. Every .npy of the cpu result must be in the device result and
// agree within the fixtures' tolerance (1e-4 + 1e-3·|x|), and so must every number of every .json and
// .jsonl at the same place (same keys, same array lengths, same strings and booleans, paths taken relative
// to each run's directory), except timings, dates, the environment and the device's own description.
using System.Text.Json.Nodes;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.Cli;

public static class DeviceParity
{
    // values that describe the run rather than its results
    private static readonly HashSet<string> Skipped = ["created_utc", "timings_seconds", "device", "environment", "run directory", "run_directory", "source", "pairs_source"];

    /// <summary>Runs <paramref name="args"/>(output directory) with --device cpu and with --device <paramref name="on"/> under <paramref name="dir"/> and
    /// asserts the outputs agree; returns the number of values compared (at least one).</summary>
    public static int AssertSameOutputs(string dir, string name, Func<string, string[]> args, string on = "ilgpu-cpu")
    {
        string cpuOut = Path.Combine(dir, name + "-cpu"), deviceOut = Path.Combine(dir, name + "-" + on);
        string cpu = RunOn("cpu", cpuOut, args);
        string device = RunOn(on, deviceOut, args);
        // a path in a string names the run's own directory: the same once each run's directory is a placeholder
        var paths = new Paths([Path.GetFullPath(cpu), Path.GetFullPath(cpuOut)], [Path.GetFullPath(device), Path.GetFullPath(deviceOut)]);
        int compared = 0;
        foreach (string file in Directory.EnumerateFiles(cpu, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(cpu, file), other = Path.Combine(device, relative);
            string ext = Path.GetExtension(file);
            if (ext is not (".npy" or ".json" or ".jsonl")) continue;
            Assert.True(File.Exists(other), $"{name}: {relative} was written on cpu but not on {on}");
            if (ext == ".npy")
            {
                var expected = NpyFile.Read(file);
                TensorAssert.Close(expected, NpyFile.Read(other), $"{name}: {relative} on {on}");
                compared += expected.Length;
            }
            else if (ext == ".json") compared += CompareJson(JsonNode.Parse(File.ReadAllText(file)), JsonNode.Parse(File.ReadAllText(other)), $"{name}: {relative}", paths);
            else
            {
                string[] a = File.ReadAllLines(file), b = File.ReadAllLines(other);
                Assert.True(a.Length == b.Length, $"{name}: {relative} has {b.Length} lines on {on}, {a.Length} on cpu");
                for (int i = 0; i < a.Length; i++)
                    compared += string.IsNullOrWhiteSpace(a[i]) ? 0 : CompareJson(JsonNode.Parse(a[i]), JsonNode.Parse(b[i]), $"{name}: {relative}:{i + 1}", paths);
            }
        }
        Assert.True(compared > 0, $"{name}: nothing to compare in {cpu}");
        if (File.Exists(Path.Combine(device, "run.json")))
            Assert.StartsWith(on + ":", JsonNode.Parse(File.ReadAllText(Path.Combine(device, "run.json")))!["device"]!.GetValue<string>());
        return compared;
    }

    private static string RunOn(string device, string outDir, Func<string, string[]> args)
    {
        var result = CliRunner.Ok([.. args(outDir), "--device", device]);
        if (device != "cpu") Assert.Contains($"device {device}:", result.Stderr);
        string? last = result.StdoutLines.LastOrDefault();
        if (last is not null && File.Exists(last)) return Path.GetDirectoryName(last)!;
        if (last is not null && Directory.Exists(last)) return last;
        return outDir;
    }

    // numbers within tolerance, strings and booleans equal, the same keys and array lengths; returns the numbers compared
    private static int CompareJson(JsonNode? expected, JsonNode? actual, string where, Paths paths)
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{where}: {actual?.ToJsonString()} on the device, null on cpu");
                return 0;
            case JsonObject o:
                var other = Assert.IsType<JsonObject>(actual);
                int n = 0;
                foreach (var (key, value) in o)
                {
                    if (Skipped.Contains(key)) continue;
                    Assert.True(other.ContainsKey(key), $"{where}: key {key} missing on the device");
                    n += CompareJson(value, other[key], $"{where}.{key}", paths);
                }
                return n;
            case JsonArray a:
                var array = Assert.IsType<JsonArray>(actual);
                Assert.True(a.Count == array.Count, $"{where}: {array.Count} items on the device, {a.Count} on cpu");
                return a.Select((item, i) => CompareJson(item, array[i], $"{where}[{i}]", paths)).Sum();
            default:
                var value1 = expected.AsValue();
                if (value1.TryGetValue(out double e))
                {
                    double d = actual!.AsValue().GetValue<double>();
                    if (!(double.IsNaN(e) && double.IsNaN(d)))
                        Assert.True(Math.Abs(d - e) <= TensorAssert.Atol + TensorAssert.Rtol * Math.Abs(e), $"{where}: {d} on the device, {e} on cpu");
                    return 1;
                }
                string cpuText = paths.OfCpu(expected.ToJsonString()), deviceText = paths.OfDevice(actual?.ToJsonString() ?? "null");
                Assert.True(cpuText == deviceText, $"{where}: {deviceText} on the device, {cpuText} on cpu");
                return 0;
        }
    }

    private sealed record Paths(string[] Cpu, string[] Device)
    {
        public string OfCpu(string text) => Replace(text, Cpu);
        public string OfDevice(string text) => Replace(text, Device);
        private static string Replace(string text, string[] roots) => roots.Aggregate(text, (t, root) => t.Replace(root, "<run>", StringComparison.Ordinal));
    }
}
