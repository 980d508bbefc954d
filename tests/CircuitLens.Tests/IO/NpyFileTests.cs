// NpyFile against the golden fixtures (written by numpy) and hand-made headers for every error path.
using System.Buffers.Binary;
using System.Text;
using CircuitLens.Tensors;

namespace CircuitLens.Tests.IO;

public class NpyFileTests
{
    [Fact]
    public void ReadsFixtureHeadZ()
    {
        var t = NpyFile.Read(Path.Combine(IoFixtures.TinyExpectedDir, "patch", "head_z.npy"));
        Assert.Equal(new[] { 4, 3, 4 }, t.Shape);
        Assert.Equal(0.8924301862716675f, t[0, 0, 0]);
        Assert.Equal(0.9771708250045776f, t[0, 0, 1]);
        Assert.Equal(1.0993503332138062f, t[0, 0, 3]);
        Assert.Equal(2.5080854892730713f, t[3, 2, 3]);
    }

    [Fact]
    public void ReadsFixtureOneDimensional()
    {
        var t = NpyFile.Read(Path.Combine(IoFixtures.TinyExpectedDir, "patch", "clean_logit_diff.npy"));
        Assert.Equal(new[] { 4 }, t.Shape);
        Assert.Equal(new[] { 1.046057105064392f, -1.1284215450286865f, 0.10856626182794571f, 2.4102189540863037f }, t.Data);
    }

    [Fact]
    public void RewritingEveryFixtureReproducesNumpysBytesExactly()
    {
        using var tmp = new TempDir();
        var files = Directory.GetFiles(IoFixtures.TinyExpectedDir, "*.npy", SearchOption.AllDirectories);
        Assert.True(files.Length > 20, "expected many .npy fixtures");
        // float64 fixtures (metrics/, circuits/) are read as float32 by design, so only float32 ones can round-trip byte for byte
        var float32Files = files.Where(f => System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(f), 0, 128).Contains("'<f4'")).ToArray();
        Assert.True(float32Files.Length > 20, "expected many float32 .npy fixtures");
        foreach (var file in float32Files)
        {
            var t = NpyFile.Read(file);
            string copy = tmp.File("copy.npy");
            NpyFile.Write(copy, t);
            Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(copy)), $"bytes differ for {file}");
        }
    }

    [Theory]
    [InlineData(new int[0], "()")]
    [InlineData(new[] { 5 }, "(5,)")]
    [InlineData(new[] { 2, 3 }, "(2, 3)")]
    [InlineData(new[] { 1234567, 0 }, "(1234567, 0)")]
    public void HeaderMatchesNumpyLayout(int[] shape, string shapeRepr)
    {
        byte[] header = NpyFile.BuildHeader(shape);
        Assert.Equal(0, header.Length % 64);
        Assert.Equal(header.Length - 10, BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8)));
        string text = Encoding.Latin1.GetString(header, 10, header.Length - 10);
        Assert.StartsWith($"{{'descr': '<f4', 'fortran_order': False, 'shape': {shapeRepr}, }}", text);
        Assert.EndsWith("\n", text);
        Assert.Equal(128, header.Length); // all of these need one 64-byte block plus numpy's growth room
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 7 })]
    [InlineData(new[] { 2, 3, 5 })]
    [InlineData(new[] { 3, 0 })]
    public void RoundTrips(int[] shape)
    {
        using var tmp = new TempDir();
        long n = Tensor.ElementCount(shape);
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = MathF.Sin(i) * 1e3f + i;
        NpyFile.Write(tmp.File("a.npy"), new Tensor(data, shape));
        var back = NpyFile.Read(tmp.File("a.npy"));
        Assert.Equal(shape, back.Shape);
        Assert.Equal(data, back.Data);
        Assert.Single(Directory.GetFiles(tmp.Path)); // no temporary file left behind
    }

    [Fact]
    public void ReadsFloat64AndIntegersAndVersion2AndBigEndian()
    {
        using var tmp = new TempDir();
        var doubles = new byte[3 * 8];
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteDoubleLittleEndian(doubles.AsSpan(i * 8), 0.5 + i);
        File.WriteAllBytes(tmp.File("f8.npy"), MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", doubles));
        Assert.Equal(new[] { 0.5f, 1.5f, 2.5f }, NpyFile.Read(tmp.File("f8.npy")).Data);

        var longs = new byte[2 * 8];
        BinaryPrimitives.WriteInt64LittleEndian(longs, -7);
        BinaryPrimitives.WriteInt64LittleEndian(longs.AsSpan(8), 50256);
        File.WriteAllBytes(tmp.File("i8.npy"), MakeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }", longs, major: 2));
        var ints = NpyFile.Read(tmp.File("i8.npy"));
        Assert.Equal(new[] { 1, 2 }, ints.Shape);
        Assert.Equal(new[] { -7f, 50256f }, ints.Data);

        var big = new byte[4];
        BinaryPrimitives.WriteSingleBigEndian(big, 3.25f);
        File.WriteAllBytes(tmp.File("be.npy"), MakeNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (), }", big, major: 3));
        var scalar = NpyFile.Read(tmp.File("be.npy"));
        Assert.Empty(scalar.Shape);
        Assert.Equal(3.25f, scalar.Data[0]);
    }

    [Theory]
    [InlineData("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", 8, "unsupported .npy dtype '<c8'")]
    [InlineData("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 8, "unsupported .npy dtype '|O'")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "Fortran-order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8, "truncated")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 8, "unexpected bytes")]
    [InlineData("{'descr': '<f4', 'shape': (1,), }", 4, "malformed .npy header")]
    public void RejectsBadFiles(string header, int dataBytes, string expected)
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.npy");
        File.WriteAllBytes(path, MakeNpy(header, new byte[dataBytes]));
        var e = Assert.Throws<CircuitLensException>(() => NpyFile.Read(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void RejectsBadMagicAndMissingFile()
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.npy");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("PK\u0003\u0004 this is a zip, not an npy"));
        Assert.Contains("bad magic", Assert.Throws<CircuitLensException>(() => NpyFile.Read(path)).Message);
        Assert.Contains("does not exist", Assert.Throws<CircuitLensException>(() => NpyFile.Read(tmp.File("none.npy"))).Message);
    }

    [Fact]
    public void WriteRejectsShapeMismatch()
    {
        using var tmp = new TempDir();
        Assert.Throws<ArgumentException>(() => NpyFile.Write(tmp.File("x.npy"), new float[5], new[] { 2, 3 }));
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }

    private static byte[] MakeNpy(string dict, byte[] data, int major = 1)
    {
        string text = dict + "\n";
        int lengthBytes = major == 1 ? 2 : 4;
        var bytes = new List<byte>();
        bytes.AddRange(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 });
        var len = new byte[lengthBytes];
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)text.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)text.Length);
        bytes.AddRange(len);
        bytes.AddRange(Encoding.Latin1.GetBytes(text));
        bytes.AddRange(data);
        return bytes.ToArray();
    }
}
