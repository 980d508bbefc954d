// A minimal PNG reader for tests: checks the signature and every chunk's CRC (computed bit by bit,
// independently of the library's table), reads IHDR, inflates IDAT and undoes the five filters.
// Only what PngEncoder writes (8-bit RGBA, no interlace) is supported.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CircuitLens.Tests.Reports;

internal sealed record DecodedPng(int Width, int Height, byte[] Rgba, List<string> ChunkTypes)
{
    public (byte R, byte G, byte B, byte A) Pixel(int x, int y)
    {
        int i = (y * Width + x) * 4;
        return (Rgba[i], Rgba[i + 1], Rgba[i + 2], Rgba[i + 3]);
    }

    public static DecodedPng Decode(byte[] png)
    {
        byte[] sig = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.Equal(sig, png.Take(8).ToArray());
        int pos = 8, width = 0, height = 0;
        var idat = new MemoryStream();
        var types = new List<string>();
        while (pos < png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, len);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + len));
            Assert.Equal(BitwiseCrc(png.AsSpan(pos + 4, 4 + len)), crc);
            types.Add(type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);   // bit depth
                Assert.Equal(6, data[9]);   // RGBA
                Assert.Equal(0, data[12]);  // no interlace
            }
            else if (type == "IDAT") idat.Write(data);
            pos += 12 + len;
        }
        Assert.Equal(pos, png.Length);

        idat.Position = 0;
        var raw = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(raw);
        var bytes = raw.ToArray();
        int stride = width * 4;
        Assert.Equal((stride + 1) * height, bytes.Length);
        var rgba = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            byte filter = bytes[y * (stride + 1)];
            Assert.InRange(filter, 0, 4);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= 4 ? rgba[y * stride + i - 4] : 0;
                int b = y > 0 ? rgba[(y - 1) * stride + i] : 0;
                int c = i >= 4 && y > 0 ? rgba[(y - 1) * stride + i - 4] : 0;
                int pred = filter switch
                {
                    0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2,
                    _ => Math.Abs(b - c) <= Math.Abs(a - c) && Math.Abs(b - c) <= Math.Abs(a + b - 2 * c) ? a
                        : Math.Abs(a - c) <= Math.Abs(a + b - 2 * c) ? b : c,
                };
                rgba[y * stride + i] = (byte)(bytes[y * (stride + 1) + 1 + i] + pred);
            }
        }
        return new DecodedPng(width, height, rgba, types);
    }

    static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
