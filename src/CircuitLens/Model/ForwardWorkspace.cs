// The activation arena of one forward pass: every buffer sized exactly for a (B,T) batch and
// reused across layers and across calls of the same shape, so the forward pass allocates nothing.
// Buffers are Tensors so hooks can see them with their TransformerLens shapes.
using CircuitLens.Tensors;

namespace CircuitLens.Model;

internal sealed class ForwardWorkspace
{
    public int B { get; }
    public int T { get; }
    public Tensor Resid, Embed, PosEmbed, Centered, Scale, LnOut, Qkv, Q, K, V, Scores, Pattern, Z, AttnOut, MlpPre, MlpPost, MlpOut;
    public int[] PadLeft;
    private Tensor? _result;
    private readonly Gpt2Config _cfg;

    public ForwardWorkspace(Gpt2Config cfg, int b, int t)
    {
        _cfg = cfg;
        B = b; T = t;
        int C = cfg.DModel, H = cfg.NHeads, D = cfg.DHead, M = cfg.DMlp;
        Resid = Tensor.Zeros(b, t, C);
        Embed = Tensor.Zeros(b, t, C);
        PosEmbed = Tensor.Zeros(b, t, C);
        Centered = Tensor.Zeros(b, t, C);
        Scale = Tensor.Zeros(b, t, 1);
        LnOut = Tensor.Zeros(b, t, C);
        Qkv = Tensor.Zeros(b, t, 3 * C);
        Q = Tensor.Zeros(b, t, H, D);
        K = Tensor.Zeros(b, t, H, D);
        V = Tensor.Zeros(b, t, H, D);
        Scores = Tensor.Zeros(b, H, t, t);
        Pattern = Tensor.Zeros(b, H, t, t);
        Z = Tensor.Zeros(b, t, H, D);
        AttnOut = Tensor.Zeros(b, t, C);
        MlpPre = Tensor.Zeros(b, t, M);
        MlpPost = Tensor.Zeros(b, t, M);
        MlpOut = Tensor.Zeros(b, t, C);
        PadLeft = new int[b];
    }

    /// <summary>Per-head outputs (B,T,NH,C), only allocated when hook_result is used.</summary>
    public Tensor Result => _result ??= Tensor.Zeros(B, T, _cfg.NHeads, _cfg.DModel);
}
