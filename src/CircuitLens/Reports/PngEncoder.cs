// Writes RGBA8 pixels as a PNG file: signature, IHDR, one IDAT (zlib via ZLibStream), IEND, each
// chunk with its CRC-32. Each scanline gets the filter (None, Sub, Up, Average, Paeth) with the
// smallest sum of absolute residuals, the usual heuristic; flat heatmap cells then compress to
// almost nothing. Hand-written because no imaging library is available. No interlacing, no
// palette, no ancillary chunks.
using System.Buffers.Binary;
using System.IO.Compression;

namespace CircuitLens.Reports;

public static class PngEncoder
{
    static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    const int BytesPerPixel = 4;

    // rgba is (height, width, 4) row-major
    public static byte[] Encode(ReadOnlySpan<byte> rgba, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"PNG size must be positive, got {width}×{height}");
        int stride = checked(width * BytesPerPixel);
        if (rgba.Length != (long)stride * height)
            throw new ArgumentException($"expected {(long)stride * height} RGBA bytes for {width}×{height}, got {rgba.Length}", nameof(rgba));

        var png = new MemoryStream();
        png.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;   // bit depth
        ihdr[9] = 6;   // colour type: truecolour with alpha
        ihdr[10] = 0;  // deflate
        ihdr[11] = 0;  // adaptive filtering
        ihdr[12] = 0;  // no interlace
        WriteChunk(png, "IHDR"u8, ihdr);

        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            var line = new byte[1 + stride];
            var trial = new byte[stride];
            for (int y = 0; y < height; y++)
            {
                var cur = rgba.Slice(y * stride, stride);
                var prev = y == 0 ? ReadOnlySpan<byte>.Empty : rgba.Slice((y - 1) * stride, stride);
                ChooseFilter(cur, prev, line, trial);
                z.Write(line);
            }
        }
        WriteChunk(png, "IDAT"u8, idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    // Fills line = [filter type, filtered bytes...] with the cheapest of None, Sub and Up. Our pictures are
    // flat colour blocks: a row equal to the one above is all zeros under Up, and Sub catches horizontal
    // runs; Average and Paeth rarely win on such images and cost most of the encoding time.
    static void ChooseFilter(ReadOnlySpan<byte> cur, ReadOnlySpan<byte> prev, Span<byte> line, Span<byte> trial)
    {
        if (!prev.IsEmpty && cur.SequenceEqual(prev))
        {
            line[0] = 2;
            line[1..].Clear();
            return;
        }
        long best = long.MaxValue;
        for (byte type = 0; type <= 2; type++)
        {
            long cost = 0;
            for (int i = 0; i < cur.Length; i++)
            {
                int a = i >= BytesPerPixel ? cur[i - BytesPerPixel] : 0;
                int b = prev.IsEmpty ? 0 : prev[i];
                int c = i >= BytesPerPixel && !prev.IsEmpty ? prev[i - BytesPerPixel] : 0;
                byte r = (byte)(cur[i] - Predict(type, a, b, c));
                trial[i] = r;
                cost += r < 128 ? r : 256 - r;   // residuals as signed magnitudes
            }
            if (cost < best)
            {
                best = cost;
                line[0] = type;
                trial.CopyTo(line[1..]);
                if (cost == 0) return;
            }
        }
    }

    internal static int Predict(byte type, int a, int b, int c) => type switch
    {
        0 => 0,
        1 => a,
        2 => b,
        3 => (a + b) >> 1,
        _ => Paeth(a, b, c),
    };

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    static void WriteChunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        s.Write(type);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Compute(Crc32.Compute(0, type), data));
        s.Write(word);
    }
}
