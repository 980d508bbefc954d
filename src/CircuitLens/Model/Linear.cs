// y = x·W + b for the Conv1D-layout weights of GPT-2, shared by every engine that runs blocks.
namespace CircuitLens.Model;

internal static class Linear
{
    // inp is (N,K), weight is (K,OC), bias is (OC), out is (N,OC)
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, Gpt2Weights w, ParamView weight, ParamView bias, int n)
    {
        int oc = weight.Shape[1];
        var b = w.Read(bias);
        for (int i = 0; i < n; i++) b.CopyTo(output.Slice(i * oc, oc));
        Tensors.Gemm.MatMul(output, input, w.Packed(weight), n, accumulate: true);
    }
}
