// The element types the safetensors format names in its header, with their sizes in bytes, and which of
// them can be read as float32. Integer and bool types (buffers such as position ids) are listed, not read.
namespace CircuitLens.Tensors;

public static class SafetensorsDType
{
    public const string F32 = "F32";
    public const string F16 = "F16";
    public const string BF16 = "BF16";
    public const string F64 = "F64";

    private static readonly Dictionary<string, int> Sizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    /// <summary>Bytes per element, or null for a name the format does not define.</summary>
    public static int? SizeOf(string dtype) => Sizes.TryGetValue(dtype, out int size) ? size : null;

    /// <summary>True for the types <see cref="SafetensorsFile.ReadFloat32(string)"/> converts.</summary>
    public static bool IsReadableAsFloat32(string dtype) => dtype is F32 or F16 or BF16 or F64;
}
