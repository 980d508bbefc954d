// The tiny fixture's circuits folder: its pairs as a PatchingBatch, the receivers file, and models derived
// from the tiny GPT-2 with some heads cut off (W_O rows zeroed) for "no path" checks.
using CircuitLens.Circuits;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Circuits;

public static class CircuitFixtures
{
    public static string File(string name) => TinyGpt2.Expected("circuits", name);

    public static PatchingBatch Batch(HookedTransformer? model = null)
    {
        var pairs = TinyGpt2.Pairs;
        return new PatchingBatch(pairs.Select(p => p.CleanIds).ToList(), pairs.Select(p => p.CorruptIds).ToList(),
            pairs.Select(p => p.AnswerId).ToArray(), pairs.Select(p => p.WrongId).ToArray());
    }

    public static PathReceivers Receivers() =>
        PathReceivers.Parse(System.IO.File.ReadAllText(File("receivers.txt")), TinyGpt2.Model.Config.NLayers, TinyGpt2.Model.Config.NHeads);

    /// <summary>The tiny model with the given heads' W_O rows zeroed: their output never reaches anything.</summary>
    public static HookedTransformer WithoutOutputs(params HeadId[] heads)
    {
        var src = TinyGpt2.Model.Weights;
        var w = new Gpt2Weights(src.Config);
        src.Buffer.CopyTo(w.Buffer, 0);
        int C = src.Config.DModel, D = src.Config.DHead;
        foreach (var h in heads) w.Span(w.Layers[h.Layer].AttnOutWeight).Slice(h.Head * D * C, D * C).Clear();
        return new HookedTransformer(w, TinyGpt2.Model.Tokenizer);
    }
}
