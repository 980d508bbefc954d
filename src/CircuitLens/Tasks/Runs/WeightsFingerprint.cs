// A content fingerprint of a loaded model, for resuming: two checkpoints with the same name and
// parameter count (a replaced model.safetensors, a hub revision that moved) must not be mixed.
// SHA-256 over the parameter buffer as loaded (what the computation actually uses) and the
// config's shape. SHA-256 runs at about 1.4 GB/s here (`openssl speed -evp sha256`, SHA-NI), so GPT-2
// small's 498 MB take about a third of a second, once per run.
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using CircuitLens.Model;

namespace CircuitLens.Tasks.Runs;

public static class WeightsFingerprint
{
    /// <summary>Hex SHA-256 of the model's shape (layers, heads, widths, context, vocabulary) and every parameter's bytes.</summary>
    public static string Compute(HookedTransformer model)
    {
        var c = model.Config;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"layers={c.NLayers};heads={c.NHeads};d_model={c.DModel};d_mlp={c.DMlp};n_ctx={c.NCtx};vocab={c.VocabSize};"));
        var buffer = model.Weights.Buffer;
        const int Block = 1 << 24;   // floats per step: a byte view of the whole buffer would overflow int for the largest models
        for (long start = 0; start < buffer.Length; start += Block)
            sha.AppendData(MemoryMarshal.AsBytes(buffer.AsSpan((int)start, (int)Math.Min(Block, buffer.Length - start))));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
