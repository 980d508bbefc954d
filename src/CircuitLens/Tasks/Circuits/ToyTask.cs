// `toy` as a library call: builds a planted-circuit model (the IOI one learns which tokens are names from
// the IOI vocabulary's single-token names) and writes DIR/model and DIR/truth.json.
using CircuitLens.Circuits.Toy;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tokenization;
using CircuitLens.Tasks.Runs;

namespace CircuitLens.Tasks.Circuits;

public static class ToyTask
{
    public static PlantedModel Build(string kind, int seed = 0) =>
        ToyModels.Create(kind, seed, kind is "ioi" or "ioi-backup" ? NameTokens() : null);

    /// <summary>The token ids of " Name" for every IOI name that is one token.</summary>
    public static int[] NameTokens() =>
        IoiVocabulary.Names.Select(n => Gpt2Tokenizer.Default.TryGetSingleToken(" " + n, out int id) ? id : -1).Where(id => id >= 0).ToArray();

    public static PlantedModel Run(string kind, int seed, string outDir)
    {
        var toy = Build(kind, seed);
        using var hold = RunLock.Acquire(outDir);   // a second run into the same --out fails instead of mixing files
        toy.Write(outDir);
        return toy;
    }
}
