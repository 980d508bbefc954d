// Writes float32 tensors as a safetensors file: 8-byte little-endian header length, a JSON header
// (with optional "__metadata__") padded with spaces to a multiple of 8 bytes so the data stays aligned,
// then the tensors back to back in the order given. Written atomically (temporary file, then rename).
// Deliberately F32 only: this is for saving results, not for re-quantising checkpoints.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CircuitLens.Tensors;

public static class SafetensorsWriter
{
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in list)
        {
            ArgumentNullException.ThrowIfNull(tensor, name);
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot be a tensor name");
            if (!seen.Add(name)) throw new ArgumentException($"tensor name '{name}' given twice");
        }

        byte[] header = BuildHeader(list, metadata);
        using var file = AtomicFile.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        file.Stream.Write(length);
        file.Stream.Write(header);
        foreach (var (_, tensor) in list)
        {
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine");
            file.Stream.Write(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
        }
        file.Commit();
    }

    private static byte[] BuildHeader(List<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                long bytes = (long)tensor.Length * sizeof(float);
                json.WriteStartObject(name);
                json.WriteString("dtype", SafetensorsDType.F32);
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
