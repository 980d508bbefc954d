// A memory-mapped safetensors file: the JSON header is parsed and fully validated on Open (UTF-8 text,
// dtypes, shapes, integer offsets in range, sizes = product(shape)·dtype size), and the tensors must
// cover the data section exactly (it starts right after the header; no overlaps, no holes, no trailing
// bytes, as in the reference library), so a header length that is off by a few bytes is an error rather
// than weights read shifted. Tensors are converted to float32 on demand straight from the mapping.
// Deliberately read-only and float-only: integer tensors are listed in Entries but not converted.
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace CircuitLens.Tensors;

public sealed unsafe class SafetensorsFile : IDisposable
{
    private const long MaxHeaderLength = 100L * 1024 * 1024; // the format's own limit
    private const int ConvertChunk = 1 << 24;                // elements per span, so huge tensors need no int-sized spans

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private bool _disposed;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer,
        long dataStart, IReadOnlyDictionary<string, SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = basePointer;
        _dataStart = dataStart;
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>Maps the file read-only and validates its header; throws <see cref="CircuitLensException"/> naming the file (and tensor) on any problem.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading needs a little-endian machine");
        var info = new FileInfo(path);
        // the hub cache's snapshot files are symlinks into blobs/: measure the file, not the link
        if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) info = target;
        if (!info.Exists) throw new CircuitLensException($"{path}: file does not exist");
        long fileLength = info.Length;
        if (fileLength < 8) throw new CircuitLensException($"{path}: not a safetensors file (only {fileLength} bytes, the header length alone is 8)");

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* basePointer = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            view = map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
            basePointer += view.PointerOffset;

            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(basePointer, 8));
            if (headerLength > (ulong)(fileLength - 8))
                throw new CircuitLensException($"{path}: safetensors header length {headerLength} goes past the end of the {fileLength}-byte file");
            if (headerLength > MaxHeaderLength)
                throw new CircuitLensException($"{path}: safetensors header length {headerLength} exceeds the format's 100 MB limit");

            var header = new ReadOnlySpan<byte>(basePointer + 8, (int)headerLength);
            long dataStart = 8 + (long)headerLength;
            var (entries, metadata) = ParseHeader(path, header, fileLength - dataStart);
            var file = new SafetensorsFile(path, map, view, basePointer, dataStart, entries, metadata);
            return file;
        }
        catch
        {
            if (basePointer != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            throw;
        }
    }

    /// <summary>The tensor converted to a new float32 array (F32, F16, BF16, F64).</summary>
    public float[] ReadFloat32(string name)
    {
        var entry = GetEntry(name);
        long count = entry.ElementCount;
        if (count > Array.MaxLength) throw new CircuitLensException($"{Path}: tensor '{name}' has {count} elements, too many for one array");
        var result = new float[count];
        ReadFloat32(name, result);
        return result;
    }

    /// <summary>The tensor with its shape, converted to float32.</summary>
    public Tensor ReadTensor(string name) => new(ReadFloat32(name), GetEntry(name).Shape);

    /// <summary>Converts the tensor into <paramref name="destination"/>, whose length must equal the tensor's element count.</summary>
    public void ReadFloat32(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var entry = GetEntry(name);
        if (!SafetensorsDType.IsReadableAsFloat32(entry.DType))
            throw new CircuitLensException($"{Path}: tensor '{name}' has dtype {entry.DType}, which cannot be read as float32");
        if (destination.Length != entry.ElementCount)
            throw new ArgumentException($"destination has {destination.Length} elements but tensor '{name}' {entry.ShapeString} has {entry.ElementCount}");

        int size = SafetensorsDType.SizeOf(entry.DType)!.Value;
        byte* source = _base + _dataStart + entry.Begin;
        for (int start = 0; start < destination.Length; start += ConvertChunk)
        {
            int n = Math.Min(ConvertChunk, destination.Length - start);
            var bytes = new ReadOnlySpan<byte>(source + (long)start * size, n * size);
            ConvertToFloat32(entry.DType, bytes, destination.Slice(start, n));
        }
    }

    // bytes hold n little-endian elements of dtype, destination is (n)
    private static void ConvertToFloat32(string dtype, ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        switch (dtype)
        {
            case SafetensorsDType.F32:
                bytes.CopyTo(MemoryMarshal.AsBytes(destination));
                break;
            case SafetensorsDType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), destination);
                break;
            case SafetensorsDType.F64:
                TensorPrimitives.ConvertTruncating<double, float>(MemoryMarshal.Cast<byte, double>(bytes), destination);
                break;
            case SafetensorsDType.BF16:
                // bfloat16 is the top half of a float32: widen each 16-bit pattern and shift it up.
                var halves = MemoryMarshal.Cast<byte, ushort>(bytes);
                var bits = MemoryMarshal.Cast<float, uint>(destination);
                for (int i = 0; i < halves.Length; i++) bits[i] = (uint)halves[i] << 16;
                break;
            default:
                throw new InvalidOperationException($"unhandled dtype {dtype}");
        }
    }

    private SafetensorsEntry GetEntry(string name) =>
        Entries.TryGetValue(name, out var entry) ? entry : throw new CircuitLensException($"{Path}: no tensor named '{name}'");

    private static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(string path, ReadOnlySpan<byte> header, long dataLength)
    {
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw new CircuitLensException($"{path}: safetensors header is not valid UTF-8 text (a corrupt file, or a wrong header length)");
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            doc = JsonDocument.ParseValue(ref reader);
            if (reader.Read()) throw new JsonException("unexpected content after the header object");
        }
        catch (JsonException e)
        {
            throw new CircuitLensException($"{path}: safetensors header is not valid JSON ({e.Message})", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CircuitLensException($"{path}: safetensors header is not a JSON object");

            var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            try
            {
                foreach (var property in root.EnumerateObject())
                {
                    if (property.Name == "__metadata__")
                    {
                        if (sawMetadata) throw new CircuitLensException($"{path}: safetensors header has __metadata__ twice");
                        sawMetadata = true;
                        ParseMetadata(path, property.Value, metadata);
                        continue;
                    }
                    if (entries.ContainsKey(property.Name)) throw new CircuitLensException($"{path}: tensor '{property.Name}' is listed twice in the safetensors header");
                    entries.Add(property.Name, ParseEntry(path, property.Name, property.Value, dataLength));
                }
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json refuses to decode escapes such as a lone "\ud800" into a string.
                throw new CircuitLensException($"{path}: safetensors header holds a string that is not valid Unicode text ({e.Message.ReplaceLineEndings(" ")})", e);
            }
            CheckCoverage(path, entries.Values, dataLength);
            return (entries, metadata);
        }
    }

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object) throw new CircuitLensException($"{path}: safetensors __metadata__ is not an object");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new CircuitLensException($"{path}: safetensors __metadata__ value '{item.Name}' is not a string");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafetensorsEntry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        string where = $"{path}: tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object) throw new CircuitLensException($"{where}: header entry is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new CircuitLensException($"{where}: missing or non-string dtype");
        string dtype = dtypeElement.GetString()!;
        int size = SafetensorsDType.SizeOf(dtype) ?? throw new CircuitLensException($"{where}: unknown dtype '{dtype}'");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new CircuitLensException($"{where}: missing or non-array shape");
        var shape = new int[shapeElement.GetArrayLength()];
        long count = 1;
        int axis = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !IsPlainInteger(dim) || !dim.TryGetInt64(out long d) || d < 0)
                throw new CircuitLensException($"{where}: shape {shapeElement.GetRawText()} has a dimension that is not a non-negative integer");
            if (d > int.MaxValue) throw new CircuitLensException($"{where}: shape dimension {d} is too large");
            shape[axis++] = (int)d;
            try { count = checked(count * d); }
            catch (OverflowException) { throw new CircuitLensException($"{where}: shape {shapeElement.GetRawText()} has too many elements"); }
        }

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !IsPlainInteger(offsets[0]) || !IsPlainInteger(offsets[1])
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw new CircuitLensException($"{where}: data_offsets must be two integers [begin, end]");
        if (begin < 0 || end < 0) throw new CircuitLensException($"{where}: negative data_offsets [{begin}, {end}]");
        if (begin > end) throw new CircuitLensException($"{where}: data_offsets begin {begin} is after end {end}");
        if (end > dataLength) throw new CircuitLensException($"{where}: data_offsets [{begin}, {end}] go past the end of the {dataLength}-byte data section");

        long expected;
        try { expected = checked(count * size); }
        catch (OverflowException) { throw new CircuitLensException($"{where}: shape {shapeElement.GetRawText()} is too large"); }
        if (end - begin != expected)
            throw new CircuitLensException($"{where}: data_offsets span {end - begin} bytes but {dtype} {shapeElement.GetRawText()} needs {expected}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    // "4", not "4.0" or "4e0": TryGetInt64 accepts neither, but say so before it is asked.
    private static bool IsPlainInteger(JsonElement number) => number.GetRawText().All(c => char.IsAsciiDigit(c) || c == '-');

    // Sorted by begin, every tensor must start exactly where the previous one ended (no overlap, no hole), and the
    // last one must end where the file does.
    private static void CheckCoverage(string path, IEnumerable<SafetensorsEntry> entries, long dataLength)
    {
        long position = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < position)
                throw new CircuitLensException($"{path}: tensor '{e.Name}' bytes [{e.Begin}, {e.End}) overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End})");
            if (e.Begin > position)
                throw new CircuitLensException($"{path}: {e.Begin - position} unindexed bytes before tensor '{e.Name}' (the data section must have no holes)");
            position = e.End;
            previous = e;
        }
        if (position != dataLength)
            throw new CircuitLensException(
                $"{path}: {dataLength - position} bytes after the last tensor: the tensors must cover the data section exactly (a wrong header length, or extra bytes at the end of the file)");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
