// One tensor listed in a safetensors header. Offsets are relative to the start of the data section
// (the byte after the JSON header), exactly as stored in "data_offsets".
namespace CircuitLens.Tensors;

public sealed record SafetensorsEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
    public long ElementCount => Tensor.ElementCount(Shape);
    public string ShapeString => "[" + string.Join(", ", Shape) + "]";
}
