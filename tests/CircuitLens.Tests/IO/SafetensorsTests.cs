// SafetensorsFile and SafetensorsWriter: the real tiny-gpt2 checkpoint, round trips, F16/BF16/F64
// conversion from hand-built files, and one test per kind of corruption the header validation must catch.
using System.Buffers.Binary;
using System.Text;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.IO;

public class SafetensorsTests
{
    private static string FixtureModel => Path.Combine(IoFixtures.TinyModelDir, "model.safetensors");

    [Fact]
    public void ReadsTinyGpt2Checkpoint()
    {
        using var file = SafetensorsFile.Open(FixtureModel);
        Assert.Equal(43, file.Entries.Count); // 44 header keys minus __metadata__
        Assert.Equal("pt", file.Metadata["format"]);

        var wte = file.Entries["wte.weight"];
        Assert.Equal("F32", wte.DType);
        Assert.Equal(new[] { 50257, 64 }, wte.Shape);
        Assert.Equal(new[] { 64, 192 }, file.Entries["h.0.attn.c_attn.weight"].Shape);
        Assert.Equal(new[] { 1, 1, 128, 128 }, file.Entries["h.0.attn.bias"].Shape);

        var w = file.ReadFloat32("wte.weight");
        Assert.Equal(0.03455841913819313f, w[0]);
        Assert.Equal(0.0821618139743805f, w[1]);
        Assert.Equal(-0.19756285846233368f, w[^1]);
        Assert.Equal(0.01622612029314041f, file.ReadFloat32("h.0.attn.c_attn.weight")[^1]);
        Assert.Equal(-0.07008298486471176f, file.ReadFloat32("ln_f.bias")[63]);

        var mask = file.ReadTensor("h.0.attn.bias"); // causal mask: ones on and below the diagonal
        Assert.Equal(1f, mask[0, 0, 5, 5]);
        Assert.Equal(0f, mask[0, 0, 5, 6]);
        Assert.Equal(1f, mask[0, 0, 127, 0]);

        var dest = new float[64];
        file.ReadFloat32("ln_f.bias", dest);
        Assert.Equal(-0.07008298486471176f, dest[63]);
        Assert.Throws<ArgumentException>(() => file.ReadFloat32("ln_f.bias", new float[63]));
        Assert.Contains("no tensor named 'lm_head.weight'", Assert.Throws<CircuitLensException>(() => file.ReadFloat32("lm_head.weight")).Message);
    }

    [Fact]
    public void WriterRoundTripsThroughReader()
    {
        using var tmp = new TempDir();
        var a = new Tensor(Enumerable.Range(0, 6).Select(i => i * 0.25f - 1f).ToArray(), 2, 3);
        var b = new Tensor(new[] { 42f }, 1);
        var scalar = new Tensor(new[] { -3.5f });
        var empty = new Tensor(Array.Empty<float>(), 0, 4);
        string path = tmp.File("out.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a.weight"] = a, ["b"] = b, ["s"] = scalar, ["empty"] = empty },
            new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo" });

        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(path).AsSpan(0, 8));
        Assert.Equal(0, headerLength % 8);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(4, file.Entries.Count);
        Assert.Equal(a.Data, file.ReadFloat32("a.weight"));
        Assert.Equal(new[] { 2, 3 }, file.Entries["a.weight"].Shape);
        Assert.Equal(b.Data, file.ReadFloat32("b"));
        Assert.Empty(file.Entries["s"].Shape);
        Assert.Equal(-3.5f, file.ReadFloat32("s")[0]);
        Assert.Empty(file.ReadFloat32("empty"));
        Assert.Equal("héllo", file.Metadata["note"]);
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void WriterRoundTripsTheWholeFixture()
    {
        using var tmp = new TempDir();
        using var original = SafetensorsFile.Open(FixtureModel);
        var tensors = original.Entries.Keys.Select(k => KeyValuePair.Create(k, original.ReadTensor(k))).ToList();
        string path = tmp.File("copy.safetensors");
        SafetensorsWriter.Write(path, tensors);
        using var copy = SafetensorsFile.Open(path);
        Assert.Equal(original.Entries.Count, copy.Entries.Count);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.Shape, copy.Entries[name].Shape);
            Assert.True(t.Data.AsSpan().SequenceEqual(copy.ReadFloat32(name)), name);
        }
    }

    [Fact]
    public void ConvertsHalfBFloat16AndDouble()
    {
        using var tmp = new TempDir();
        float[] values = [1f, -2.5f, 0.099975586f, 65504f];
        var f16 = new byte[8];
        var bf16 = new byte[8];
        var f64 = new byte[32];
        for (int i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(f16.AsSpan(i * 2), (Half)values[i]);
            BinaryPrimitives.WriteUInt16LittleEndian(bf16.AsSpan(i * 2), (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16));
            BinaryPrimitives.WriteDoubleLittleEndian(f64.AsSpan(i * 8), values[i]);
        }
        var ids = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(ids, 7);
        string path = tmp.File("mixed.safetensors");
        File.WriteAllBytes(path, Build(
            """{"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"bf":{"dtype":"BF16","shape":[4],"data_offsets":[8,16]},"d":{"dtype":"F64","shape":[4],"data_offsets":[16,48]},"ids":{"dtype":"I64","shape":[1,2],"data_offsets":[48,64]}}""",
            [.. f16, .. bf16, .. f64, .. ids]));

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(new[] { 1f, -2.5f, (float)(Half)0.099975586f, 65504f }, file.ReadFloat32("h"));
        // bfloat16 keeps only the top 16 bits: exact for 1, -2.5 and 65504 (= 0x477FE000 truncated to 0x477F0000 = 65280)
        var bf = file.ReadFloat32("bf");
        Assert.Equal(1f, bf[0]);
        Assert.Equal(-2.5f, bf[1]);
        Assert.Equal(BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(0.099975586f) & 0xFFFF0000), bf[2]);
        Assert.Equal(65280f, bf[3]);
        Assert.Equal(values, file.ReadFloat32("d"));
        Assert.Equal("I64", file.Entries["ids"].DType);
        Assert.Contains("I64", Assert.Throws<CircuitLensException>(() => file.ReadFloat32("ids")).Message);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12")]
    [InlineData("""{"a":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}}""", 16, "needs 8")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "past the end")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 8, "after end")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4294967296],"data_offsets":[0,4]}}""", 4, "too large")]
    [InlineData("""{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}""", 4, "unknown dtype 'Q4'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "unindexed")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1]}}""", 4, "data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]""", 4, "not valid JSON")]
    [InlineData("""[1,2]""", 0, "not a JSON object")]
    public void RejectsCorruptHeaders(string header, int dataBytes, string expected)
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.safetensors");
        File.WriteAllBytes(path, Build(header, new byte[dataBytes]));
        var e = Assert.Throws<CircuitLensException>(() => SafetensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        if (!expected.Contains("JSON")) Assert.Contains("'a'", e.Message); // names the offending tensor
    }

    [Fact]
    public void RejectsTruncatedFiles()
    {
        using var tmp = new TempDir();
        string tiny = tmp.File("tiny.safetensors");
        File.WriteAllBytes(tiny, new byte[5]);
        Assert.Contains("only 5 bytes", Assert.Throws<CircuitLensException>(() => SafetensorsFile.Open(tiny)).Message);

        string hugeHeader = tmp.File("huge.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1_000_000);
        File.WriteAllBytes(hugeHeader, bytes);
        Assert.Contains("past the end", Assert.Throws<CircuitLensException>(() => SafetensorsFile.Open(hugeHeader)).Message);

        // The real checkpoint cut short: the last tensor's offsets now run past the end of the file.
        string cut = tmp.File("cut.safetensors");
        using (var src = File.OpenRead(FixtureModel))
        using (var dst = File.Create(cut))
        {
            var buffer = new byte[src.Length - 100];
            src.ReadExactly(buffer);
            dst.Write(buffer);
        }
        var e = Assert.Throws<CircuitLensException>(() => SafetensorsFile.Open(cut));
        Assert.Contains("h.2.attn.bias", e.Message);
        Assert.Contains("past the end", e.Message);

        Assert.Contains("does not exist", Assert.Throws<CircuitLensException>(() => SafetensorsFile.Open(tmp.File("missing.safetensors"))).Message);
    }

    /// <summary>A safetensors file: 8-byte little-endian header length, the JSON header, the data section.</summary>
    internal static byte[] Build(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }
}
