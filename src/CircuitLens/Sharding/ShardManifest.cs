// shard.json: what makes a partial run directory one shard of one run. `Run` is the run's fingerprint
// (model hash, the WHOLE dataset's hash, every option that changes numbers); shards merge only when
// their fingerprints are identical, they all say the same N, and their indices cover 0..N-1 once.
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

    public string RunKey => Run.ToJsonString();
    public string? ModelSource => Run["model_source"]?.GetValue<string>();
    public string ModelSha256 => Run["model_sha256"]!.GetValue<string>();
    public string DatasetSha256 => Run["dataset_sha256"]!.GetValue<string>();

    public void Save(string directory) =>
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), new JsonObject
        {
            ["format"] = Format, ["shard"] = Shard.Index, ["of"] = Shard.Count,
            ["pairs"] = new JsonObject { ["start"] = PairStart, ["count"] = PairCount, ["total"] = TotalPairs },
            ["run"] = Run.DeepClone(),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public static ShardManifest Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new CircuitLensException($"{directory}: no {FileName} (not a shard directory written by `patch --shard`)");
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
