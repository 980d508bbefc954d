// Hand-setting GPT-2 weights by role: a head's query/key/value reading residual dimensions into head
// dimensions, its W_O writing head dimensions back, embeddings; LayerNorms at weight 1, bias 0.
using CircuitLens.Model;

namespace CircuitLens.Circuits.Toy;

internal sealed class WeightEditor
{
    private readonly Gpt2Weights _w;
    private readonly int _c, _d;

    public WeightEditor(Gpt2Config config)
    {
        _w = new Gpt2Weights(config);
        _c = config.DModel; _d = config.DHead;
        foreach (var v in _w.All)
            if (v.Name.Contains("ln_") && v.Name.EndsWith(".weight", StringComparison.Ordinal)) _w.Span(v).Fill(1f);
    }

    public Gpt2Weights Weights => _w;

    /// <summary>Head (l,h)'s input (0 = q, 1 = k, 2 = v) dimension d reads residual dimension r with weight s.</summary>
    public void Read(int l, int h, int input, int d, int r, float s) => _w.Span(_w.Layers[l].QkvWeight)[r * 3 * _c + input * _c + h * _d + d] += s;

    /// <summary>Head (l,h)'s bias of input dimension d.</summary>
    public void Bias(int l, int h, int input, int d, float s) => _w.Span(_w.Layers[l].QkvBias)[input * _c + h * _d + d] += s;

    /// <summary>Head (l,h)'s W_O: head dimension d writes residual dimension r with weight s.</summary>
    public void Write(int l, int h, int d, int r, float s) => _w.Span(_w.Layers[l].AttnOutWeight)[(h * _d + d) * _c + r] += s;

    public Span<float> TokenEmbedding(int token) => _w.Span(_w.TokenEmbedding).Slice(token * _c, _c);
    public Span<float> PositionEmbedding(int pos) => _w.Span(_w.PositionEmbedding).Slice(pos * _c, _c);
}
