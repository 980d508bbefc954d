// The safetensors rules that keep weights from loading silently shifted (issue 11, item 4): the data
// section starts right after the header and the tensors cover it exactly, so a header length off by one
// or by four is an error, not weights read one float late; and header text that is not valid UTF-8 or
// offsets that are not numbers end in one clear line, never an internal error.
using System.Buffers.Binary;
using System.Text;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.IO;

public class SafetensorsStrictnessTests
{
    private static readonly byte[] Fixture = File.ReadAllBytes(Path.Combine(IoFixtures.TinyModelDir, "model.safetensors"));

    [Theory]
    [InlineData(-1)]
    [InlineData(-4)]
    [InlineData(-8)]
    [InlineData(1)]
    [InlineData(4)]
    public void HeaderLengthThatDoesNotMatchTheLayoutIsRejected(int delta)
    {
        // The fixture's header is padded with spaces, so a shorter length still parses as JSON: only the
        // layout rules can tell that the data would then start early.
        var bytes = (byte[])Fixture.Clone();
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)((long)length + delta));
        using var tmp = new TempDir();
        string path = tmp.File("shifted.safetensors");
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CircuitLensException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TrailingBytesAfterTheLastTensorAreRejected()
    {
        using var tmp = new TempDir();
        string path = tmp.File("trailing.safetensors");
        File.WriteAllBytes(path, Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[12]));
        var e = Assert.Throws<CircuitLensException>(() => SafetensorsFile.Open(path));
        Assert.Contains("8 bytes after the last tensor", e.Message);
        Assert.Contains("header length", e.Message);
    }

    [Fact]
    public void EmptyFileWithAnEmptyHeaderIsValid()
    {
        using var tmp = new TempDir();
        string path = tmp.File("empty.safetensors");
        File.WriteAllBytes(path, Build("{}", []));
        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Entries);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}""", "data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0.0,4]}}""", "data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[null,4]}}""", "data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}""", "shape")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"k":1}}""", "__metadata__")]
    [InlineData("""{"\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "not valid")]
    [InlineData("""{"a":{"dtype":"F\ud800","shape":[1],"data_offsets":[0,4]}}""", "not valid")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"k":"\udfff"}}""", "not valid")]
    public void MalformedHeaderValuesAreOneClearLine(string header, string expected)
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.safetensors");
        File.WriteAllBytes(path, Build(header, new byte[4]));
        var e = Assert.Throws<CircuitLensException>(() => SafetensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0xff, 0xfe })]        // never valid in UTF-8
    [InlineData(new byte[] { 0xc3 })]              // a lead byte with no continuation
    [InlineData(new byte[] { 0xed, 0xa0, 0x80 })]  // an encoded surrogate
    public void InvalidUtf8InATensorNameIsOneClearLine(byte[] badBytes)
    {
        var json = new List<byte>("{\"w"u8.ToArray());
        json.AddRange(badBytes);
        json.AddRange("\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"u8.ToArray());
        var bytes = new byte[8 + json.Count + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Count);
        json.CopyTo(bytes, 8);
        using var tmp = new TempDir();
        string path = tmp.File("utf8.safetensors");
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CircuitLensException>(() => SafetensorsFile.Open(path));
        Assert.Contains("UTF-8", e.Message);
        Assert.Contains(path, e.Message);
    }

    private static byte[] Build(string header, byte[] data) => SafetensorsTests.Build(header, data);
}
