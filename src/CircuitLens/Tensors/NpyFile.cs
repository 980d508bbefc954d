// Reads and writes NumPy .npy files (format versions 1.0, 2.0 and 3.0), the exchange format for
// activations, patching maps and golden fixtures. Reads little/big-endian float and integer arrays
// and converts them to float32; writes '<f4' exactly as numpy.save does (same header bytes).
// Deliberately does not handle Fortran order, structured dtypes, pickled objects or .npz archives.
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace CircuitLens.Tensors;

public static partial class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int ArrayAlign = 64;          // numpy pads the whole prefix to a multiple of this
    private const int GrowthAxisMaxDigits = 21; // numpy leaves room to grow the first axis in place
    private const int MaxHeaderLength = 1 << 20;

    /// <summary>Reads a .npy file as a float32 tensor (float and integer dtypes are converted).</summary>
    public static Tensor Read(string path)
    {
        FileStream stream;
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (FileNotFoundException) { throw new CircuitLensException($"{path}: file does not exist"); }
        catch (DirectoryNotFoundException) { throw new CircuitLensException($"{path}: file does not exist"); }
        catch (UnauthorizedAccessException e) { throw new CircuitLensException($"{path}: cannot open ({e.Message})", e); }
        using (stream)
        {
            var header = ReadHeader(stream, path);
            long count = Tensor.ElementCount(header.Shape);
            long bytes = count * header.Type.Size;
            long available = stream.Length - stream.Position;
            if (available < bytes)
                throw new CircuitLensException($"{path}: truncated .npy file: shape ({string.Join(", ", header.Shape)}) of '{header.Descr}' needs {bytes} data bytes but only {available} are present");
            if (available > bytes)
                throw new CircuitLensException($"{path}: .npy file has {available - bytes} unexpected bytes after the array data");
            if (count > Array.MaxLength)
                throw new CircuitLensException($"{path}: array of {count} elements is too large to load");

            var data = new float[count];
            if (header.Type is { Kind: 'f', Size: 4 } && header.Type.LittleEndian == BitConverter.IsLittleEndian)
            {
                stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
            }
            else
            {
                var raw = new byte[bytes];
                stream.ReadExactly(raw);
                Convert(raw, header.Type, data);
            }
            return new Tensor(data, header.Shape);
        }
    }

    /// <summary>Writes a tensor as a '&lt;f4' .npy file, atomically (temporary file, then rename).</summary>
    public static void Write(string path, Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        Write(path, t.Data, t.Shape);
    }

    /// <summary>Writes row-major float32 data of the given shape as a '&lt;f4' .npy file, atomically.</summary>
    public static void Write(string path, ReadOnlySpan<float> data, ReadOnlySpan<int> shape)
    {
        long count = Tensor.ElementCount(shape);
        if (count != data.Length)
            throw new ArgumentException($"data has {data.Length} elements but shape ({string.Join(", ", shape.ToArray())}) needs {count}");

        byte[] header = BuildHeader(shape);
        using var file = AtomicFile.Create(path);
        file.Stream.Write(header);
        if (BitConverter.IsLittleEndian)
        {
            file.Stream.Write(MemoryMarshal.AsBytes(data));
        }
        else
        {
            var buffer = new byte[4];
            foreach (float v in data)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer, v);
                file.Stream.Write(buffer);
            }
        }
        file.Commit();
    }

    /// <summary>The exact prefix numpy.save writes for a C-order '&lt;f4' array: magic, version 1.0, length, padded dict.</summary>
    internal static byte[] BuildHeader(ReadOnlySpan<int> shape)
    {
        var dict = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': ");
        dict.Append(ShapeRepr(shape)).Append(", }");
        if (shape.Length > 0) dict.Append(' ', GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length);

        int textLength = dict.Length + 1; // + the terminating newline
        int prefix = Magic.Length + 2 + 2; // magic, version, uint16 header length
        int pad = ArrayAlign - (prefix + textLength) % ArrayAlign; // numpy pads a full 64 when already aligned
        dict.Append(' ', pad).Append('\n');
        if (dict.Length > ushort.MaxValue) throw new ArgumentException("shape too long for a version 1.0 .npy header");

        var bytes = new byte[prefix + dict.Length];
        Magic.CopyTo(bytes);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)dict.Length);
        Encoding.Latin1.GetBytes(dict.ToString(), bytes.AsSpan(prefix));
        return bytes;
    }

    private static string ShapeRepr(ReadOnlySpan<int> shape) => shape.Length switch
    {
        0 => "()",
        1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
        _ => "(" + string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
    };

    private readonly record struct ElementType(char Kind, int Size, bool LittleEndian);

    private sealed record Header(string Descr, ElementType Type, int[] Shape);

    private static Header ReadHeader(FileStream stream, string path)
    {
        Span<byte> prefix = stackalloc byte[12];
        if (stream.Length < 10) throw new CircuitLensException($"{path}: not a .npy file (only {stream.Length} bytes)");
        stream.ReadExactly(prefix[..10]);
        if (!prefix[..6].SequenceEqual(Magic)) throw new CircuitLensException($"{path}: not a .npy file (bad magic bytes)");
        int major = prefix[6];
        long headerLength;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
        }
        else if (major is 2 or 3)
        {
            if (stream.Length < 12) throw new CircuitLensException($"{path}: truncated .npy header");
            stream.ReadExactly(prefix[10..12]);
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        }
        else
        {
            throw new CircuitLensException($"{path}: unsupported .npy format version {major}.{prefix[7]}");
        }
        if (headerLength > MaxHeaderLength || stream.Position + headerLength > stream.Length)
            throw new CircuitLensException($"{path}: truncated .npy header (declares {headerLength} bytes)");

        var raw = new byte[headerLength];
        stream.ReadExactly(raw);
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(raw);

        var descr = DescrPattern().Match(text);
        var fortran = FortranPattern().Match(text);
        var shape = ShapePattern().Match(text);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new CircuitLensException($"{path}: malformed .npy header: {text.Trim()}");
        if (fortran.Groups[1].Value == "True")
            throw new CircuitLensException($"{path}: Fortran-order .npy arrays are not supported (save with np.ascontiguousarray)");

        string d = descr.Groups[1].Value;
        var type = ParseDescr(d) ?? throw new CircuitLensException($"{path}: unsupported .npy dtype '{d}' (float and integer dtypes only)");
        return new Header(d, type, ParseShape(shape.Groups[1].Value, path));
    }

    private static ElementType? ParseDescr(string descr)
    {
        if (descr.Length < 3) return null;
        char order = descr[0];
        if (order is not ('<' or '>' or '|' or '=')) return null;
        char kind = descr[1];
        if (!int.TryParse(descr.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int size)) return null;
        bool little = order == '>' ? false : order == '<' || BitConverter.IsLittleEndian;
        bool ok = kind switch
        {
            'f' => size is 2 or 4 or 8,
            'i' or 'u' => size is 1 or 2 or 4 or 8,
            'b' => size == 1,
            _ => false,
        };
        return ok ? new ElementType(kind, size, little) : null;
    }

    private static int[] ParseShape(string inner, string path)
    {
        var parts = inner.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string p = parts[i].TrimEnd('L'); // Python 2 long literals
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
                throw new CircuitLensException($"{path}: bad .npy shape ({inner})");
        }
        return shape;
    }

    private static void Convert(ReadOnlySpan<byte> raw, ElementType type, Span<float> destination)
    {
        int size = type.Size;
        bool le = type.LittleEndian;
        for (int i = 0; i < destination.Length; i++)
        {
            var b = raw.Slice(i * size, size);
            destination[i] = (type.Kind, size) switch
            {
                ('f', 2) => (float)(le ? BinaryPrimitives.ReadHalfLittleEndian(b) : BinaryPrimitives.ReadHalfBigEndian(b)),
                ('f', 4) => le ? BinaryPrimitives.ReadSingleLittleEndian(b) : BinaryPrimitives.ReadSingleBigEndian(b),
                ('f', 8) => (float)(le ? BinaryPrimitives.ReadDoubleLittleEndian(b) : BinaryPrimitives.ReadDoubleBigEndian(b)),
                ('i', 1) => (sbyte)b[0],
                ('u', 1) or ('b', 1) => b[0],
                ('i', 2) => le ? BinaryPrimitives.ReadInt16LittleEndian(b) : BinaryPrimitives.ReadInt16BigEndian(b),
                ('u', 2) => le ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b),
                ('i', 4) => le ? BinaryPrimitives.ReadInt32LittleEndian(b) : BinaryPrimitives.ReadInt32BigEndian(b),
                ('u', 4) => le ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b),
                ('i', 8) => le ? BinaryPrimitives.ReadInt64LittleEndian(b) : BinaryPrimitives.ReadInt64BigEndian(b),
                ('u', 8) => le ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b),
                _ => throw new InvalidOperationException($"unhandled dtype {type}"),
            };
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
