// A dense, row-major float32 tensor: the one array type the library passes between stages
// (caches, patching results, .npy/safetensors I/O, plots). Deliberately minimal: no autograd,
// no broadcasting, no views with strides. Heavy math works on spans, not on this class.
namespace CircuitLens.Tensors;

public sealed class Tensor
{
    public float[] Data { get; }
    public int[] Shape { get; }

    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long n = ElementCount(shape);
        if (n != data.LongLength)
            throw new ArgumentException($"data has {data.LongLength} elements but shape [{string.Join(", ", shape)}] needs {n}");
        Data = data;
        Shape = (int[])shape.Clone();
    }

    public static Tensor Zeros(params int[] shape) => new(new float[ElementCount(shape)], shape);

    public int Rank => Shape.Length;
    public int Length => Data.Length;
    public Span<float> Span => Data;
    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];

    public float this[params int[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    /// <summary>The contiguous block addressed by the leading indices, e.g. <c>t.Slice(b)</c> of a [B,T,C] tensor is row b as T*C floats.</summary>
    public Span<float> Slice(params int[] leading)
    {
        if (leading.Length > Shape.Length) throw new ArgumentException("too many indices");
        int stride = 1;
        for (int i = leading.Length; i < Shape.Length; i++) stride *= Shape[i];
        int offset = 0, outer = 1;
        for (int i = leading.Length - 1; i >= 0; i--)
        {
            if ((uint)leading[i] >= (uint)Shape[i]) throw new IndexOutOfRangeException($"index {leading[i]} out of range for axis {i} of size {Shape[i]}");
            offset += leading[i] * outer;
            outer *= Shape[i];
        }
        return Data.AsSpan(offset * stride, stride);
    }

    /// <summary>Same data, new shape (no copy). One dimension may be -1.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var s = (int[])shape.Clone();
        int infer = Array.IndexOf(s, -1);
        if (infer >= 0)
        {
            long rest = 1;
            for (int i = 0; i < s.Length; i++) if (i != infer) rest *= s[i];
            s[infer] = (int)(Data.LongLength / Math.Max(rest, 1));
        }
        return new Tensor(Data, s);
    }

    public Tensor Clone() => new((float[])Data.Clone(), Shape);

    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d}");
            n *= d;
        }
        return n;
    }

    public string ShapeString => "[" + string.Join(", ", Shape) + "]";

    public override string ToString() => $"Tensor{ShapeString}";

    private int Offset(int[] index)
    {
        if (index.Length != Shape.Length) throw new ArgumentException($"expected {Shape.Length} indices, got {index.Length}");
        int offset = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)Shape[i]) throw new IndexOutOfRangeException($"index {index[i]} out of range for axis {i} of size {Shape[i]}");
            offset = offset * Shape[i] + index[i];
        }
        return offset;
    }
}
