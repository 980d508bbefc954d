// Every parser that reads a user's or a hub's bytes, as fuzz targets: the safetensors header and data
// reader, the .npy reader, config.json, the IOI pair JSONL reader (with the single-token check), the
// format filter that reads LLM output, the tokenizer's decode and encode, and circuit files
// (`--circuit FILE`, `--classes FILE`).
// File-based readers get the bytes through a per-thread scratch file.
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tensors;
using CircuitLens.Tokenization;

namespace CircuitLens.Fuzzing;

public static class FuzzTargets
{
    private const long MaxElementsToConvert = 1 << 20; // large tensors are validated, not converted, to keep runs fast

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("safetensors", "SafetensorsFile.Open, then every float tensor converted", Safetensors),
        new("npy", "NpyFile.Read", bytes => NpyFile.Read(Scratch(bytes, ".npy"))),
        new("config", "Gpt2Config.FromJsonFile (config.json)", bytes => Gpt2Config.FromJsonFile(Scratch(bytes, ".json"))),
        new("pairs", "IoiJsonl.Read with the GPT-2 tokenizer's single-token check", bytes => IoiJsonl.Read(Scratch(bytes, ".jsonl"), Gpt2Tokenizer.Default)),
        new("format-filter", "FormatFilter.FilterFile (`filter format`, LLM output) with the GPT-2 encoder; its regexes must not hang",
            bytes => FormatFilter.FilterFile(Scratch(bytes, ".jsonl"), text => Gpt2Tokenizer.Default.Encode(text, allowSpecial: false)))
            { AcceptsEverything = true }, // bad rows are counted as rejections in its result, not thrown
        new("circuit", "Circuit.Load of a circuit file for GPT-2 small (12 × 12); what it accepts must survive ToJson → Parse", CircuitFile),
        new("decode", "Gpt2Tokenizer.Decode of little-endian int32 ids", Decode),
        new("encode", "Gpt2Tokenizer.Encode of UTF-8 text; decode(encode(text)) must give the text back", Encode) { AcceptsEverything = true },
    ];

    public static FuzzTarget Get(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"unknown fuzz target '{name}' (known: {string.Join(", ", All.Select(t => t.Name))})");

    private static void Safetensors(byte[] bytes)
    {
        using var file = SafetensorsFile.Open(Scratch(bytes, ".safetensors"));
        // Accepted means the tensors cover the data section exactly: nothing can be read shifted.
        long dataLength = bytes.Length - 8 - (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        long covered = file.Entries.Values.Sum(e => e.ByteLength);
        if (covered != dataLength) throw new FuzzPropertyException($"accepted a file whose tensors cover {covered} of {dataLength} data bytes");
        foreach (var entry in file.Entries.Values)
            if (SafetensorsDType.IsReadableAsFloat32(entry.DType) && entry.ElementCount <= MaxElementsToConvert)
                file.ReadFloat32(entry.Name);
    }

    private static void CircuitFile(byte[] bytes)
    {
        const int layers = 12, heads = 12;
        var circuit = Circuit.Load(Scratch(bytes, ".json"), layers, heads);
        // What was accepted is written back as it is understood: reading that again must give the same circuit.
        string json = circuit.ToJson();
        string again = Circuit.Parse(json, "round trip", layers, heads).ToJson();
        if (again != json) throw new FuzzPropertyException("an accepted circuit does not survive ToJson → Parse unchanged");
    }

    private static void Decode(byte[] bytes)
    {
        var ids = new int[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, ids, 0, ids.Length * 4);
        // Small ids are the common case; fold most inputs into the vocabulary so decoding itself is exercised.
        bool fold = bytes.Length > 0 && bytes[0] % 4 != 0;
        if (fold) for (int i = 0; i < ids.Length; i++) ids[i] = (int)((uint)ids[i] % (uint)Gpt2Tokenizer.Default.VocabSize);
        Gpt2Tokenizer.Default.Decode(ids);
    }

    private static void Encode(byte[] bytes)
    {
        string text = System.Text.Encoding.UTF8.GetString(bytes); // invalid sequences become U+FFFD: still text
        var ids = Gpt2Tokenizer.Default.Encode(text, allowSpecial: false);
        string back = Gpt2Tokenizer.Default.Decode(ids);
        if (back != text) throw new FuzzPropertyException($"decode(encode(text)) differs from the text ({text.Length} vs {back.Length} chars)");
    }

    // One scratch directory per process, removed at exit; one file name per thread inside it.
    private static readonly Lazy<string> s_scratchDir = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("circuitlens-fuzz-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return dir;
    });

    /// <summary>Writes the input to this thread's scratch file with the given extension and returns its path.</summary>
    public static string Scratch(byte[] bytes, string extension)
    {
        string path = Path.Combine(s_scratchDir.Value, $"input-{Environment.CurrentManagedThreadId}{extension}");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
