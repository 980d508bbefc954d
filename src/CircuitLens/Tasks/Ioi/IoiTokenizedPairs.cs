// Turns IOI rows into model inputs: token ids of both prompts (with or without BOS) and the ids of the
// two competing answers, checked so a bad row is reported by its line number, never silently skipped.
using CircuitLens.Model;
using CircuitLens.Patching;

namespace CircuitLens.Tasks.Ioi;

public sealed class IoiTokenizedPairs
{
    public IReadOnlyList<IoiPair> Pairs { get; }
    public IReadOnlyList<int[]> Clean { get; }
    public IReadOnlyList<int[]> Corrupt { get; }
    public int[] AnswerIds { get; }
    public int[] WrongIds { get; }
    public bool PrependBos { get; }

    public IoiTokenizedPairs(HookedTransformer model, IReadOnlyList<IoiPair> pairs, bool prependBos, string source = "pairs")
    {
        if (pairs.Count == 0) throw new CircuitLensException($"{source}: the dataset is empty");
        var clean = new List<int[]>(pairs.Count); var corrupt = new List<int[]>(pairs.Count);
        AnswerIds = new int[pairs.Count]; WrongIds = new int[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            string where = $"{source}: row {i + 1}";
            AnswerIds[i] = SingleToken(model, p.Answer, where, "answer");
            WrongIds[i] = SingleToken(model, p.Wrong, where, "wrong");
            if (AnswerIds[i] == WrongIds[i]) throw new CircuitLensException($"{where}: answer and wrong are the same token '{p.Answer}'");
            clean.Add(model.ToTokens(p.Clean, prependBos));
            corrupt.Add(model.ToTokens(p.Corrupt, prependBos));
            if (clean[i].Length == 0 || corrupt[i].Length == 0) throw new CircuitLensException($"{where}: empty prompt");
            if (clean[i].Length > model.Config.NCtx) throw new CircuitLensException($"{where}: {clean[i].Length} tokens exceed the model's context of {model.Config.NCtx}");
        }
        Pairs = pairs; Clean = clean; Corrupt = corrupt; PrependBos = prependBos;
    }

    public int Count => Pairs.Count;

    /// <summary>The patching batch; errors name the row when clean and corrupted differ in token length.</summary>
    public PatchingBatch ToPatchingBatch(string source = "pairs")
    {
        for (int i = 0; i < Count; i++)
            if (Clean[i].Length != Corrupt[i].Length)
                throw new CircuitLensException($"{source}: row {i + 1}: clean has {Clean[i].Length} tokens but corrupt has {Corrupt[i].Length}; activation patching needs position-aligned prompts of equal length (run 'circuitlens filter format' to drop such rows)");
        return new PatchingBatch(Clean, Corrupt, AnswerIds, WrongIds);
    }

    private static int SingleToken(HookedTransformer model, string text, string where, string field)
    {
        if (string.IsNullOrEmpty(text)) throw new CircuitLensException($"{where}: field '{field}' is empty");
        if (!model.Tokenizer.TryGetSingleToken(text, out int id))
            throw new CircuitLensException($"{where}: field '{field}' = \"{text}\" is not a single token (names need their leading space, e.g. \" John\")");
        return id;
    }
}
