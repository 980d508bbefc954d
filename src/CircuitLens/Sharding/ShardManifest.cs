// shard.json: what makes a partial run directory one shard of one run. `Run` is the run's fingerprint
// (model hash, the WHOLE dataset's hash, every option that changes numbers); shards merge only when
// their fingerprints are identical, they all say the same N, and their indices cover 0..N-1 once.
// `shard_by` says what the shard is a slice of: pairs (start, count) or components (the model layers
// it patched, every pair); `patching` is where its patching arrays are, relative to the shard directory
// ("" for `patch`, "patching" for an experiment's run directory).
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Sharding;

public sealed record ShardManifest
{
    public const string FileName = "shard.json";
    public const string PairsFileName = "pairs.jsonl";
    private const string Format = "circuitlens-shard/1";

    public required ShardSpec Shard { get; init; }
    public required int PairStart { get; init; }
    public required int PairCount { get; init; }
    public required int TotalPairs { get; init; }
    /// <summary>The run's fingerprint: identical in every shard of one run.</summary>
    public required JsonObject Run { get; init; }
    public ShardBy ShardBy { get; init; } = ShardBy.Pairs;
    /// <summary>With <see cref="ShardBy.Components"/>: the model layers this shard patched; null when sharded by pairs.</summary>
    public IReadOnlyList<int>? Layers { get; init; }
    /// <summary>The patching arrays' directory, relative to the shard directory ("" = the shard directory itself).</summary>
    public string PatchingDir { get; init; } = "";

    public string RunKey => Run.ToJsonString();
    public string? ModelSource => Run["model_source"]?.GetValue<string>();
    public string ModelSha256 => Run["model_sha256"]!.GetValue<string>();
    public string DatasetSha256 => Run["dataset_sha256"]!.GetValue<string>();

    public void Save(string directory) =>
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), new JsonObject
        {
            ["format"] = Format, ["shard"] = Shard.Index, ["of"] = Shard.Count,
            ["shard_by"] = ShardBy.Name(),
            ["pairs"] = new JsonObject { ["start"] = PairStart, ["count"] = PairCount, ["total"] = TotalPairs },
            ["layers"] = Layers is null ? null : new JsonArray(Layers.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
            ["patching"] = PatchingDir,
            ["run"] = Run.DeepClone(),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public static ShardManifest Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new CircuitLensException($"{directory}: no {FileName} (not a shard directory written by `--shard`)");
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            if (root["format"]?.GetValue<string>() != Format) throw new CircuitLensException($"{path}: unknown format (expected {Format})");
            var pairs = root["pairs"]!.AsObject();
            return new ShardManifest
            {
                Shard = new ShardSpec(root["shard"]!.GetValue<int>(), root["of"]!.GetValue<int>()),
                PairStart = pairs["start"]!.GetValue<int>(), PairCount = pairs["count"]!.GetValue<int>(), TotalPairs = pairs["total"]!.GetValue<int>(),
                Run = root["run"]!.AsObject(),
                ShardBy = root["shard_by"]?.GetValue<string>() switch { null or "pairs" => ShardBy.Pairs, "components" => ShardBy.Components, var other => throw new FormatException($"shard_by {other}") },
                Layers = root["layers"]?.AsArray().Select(l => l!.GetValue<int>()).ToArray(),
                PatchingDir = root["patching"]?.GetValue<string>() ?? "",
            };
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new CircuitLensException($"{path}: damaged shard manifest ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>SHA-256 of the model's hyper-parameters and every parameter's bytes.</summary>
    public static string ModelHash(Gpt2Weights weights)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(weights.Config with { ModelName = "" })));
        var bytes = MemoryMarshal.AsBytes(weights.Buffer.AsSpan());
        for (int o = 0; o < bytes.Length; o += 1 << 24) sha.AppendData(bytes.Slice(o, Math.Min(1 << 24, bytes.Length - o)));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
