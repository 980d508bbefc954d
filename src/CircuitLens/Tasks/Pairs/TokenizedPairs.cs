// A pair set as model inputs: token ids of both prompts of every row (BOS prepended when asked, also
// before given ids) and the metric with its per-row targets. Every answer must be one token: an error
// names the row and the word, never silently skips a row.
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Patching.Metrics;

namespace CircuitLens.Tasks.Pairs;

public sealed class TokenizedPairs
{
    public PairSet Pairs { get; }
    public IReadOnlyList<int[]> Clean { get; }
    public IReadOnlyList<int[]> Corrupt { get; }
    public PatchingMetric Metric { get; }
    public bool PrependBos { get; }
    public int Count => Pairs.Count;

    internal TokenizedPairs(PairSet pairs, HookedTransformer model, bool prependBos)
    {
        var clean = new List<int[]>(pairs.Count); var corrupt = new List<int[]>(pairs.Count);
        var answers = new int[pairs.Count][]; var wrong = new int[pairs.Count][]; var candidates = new int[pairs.Count][];
        int bos = Tokenization.Gpt2Tokenizer.EndOfTextId, V = model.Config.VocabSize;
        for (int i = 0; i < pairs.Count; i++)
        {
            var row = pairs.Rows[i];
            string where = pairs.Where(i);
            clean.Add(Prompt(model, row.Clean, row.CleanIds, prependBos, bos, V, where, "clean"));
            corrupt.Add(Prompt(model, row.Corrupt, row.CorruptIds, prependBos, bos, V, where, "corrupt"));
            answers[i] = row.Answers.Select(t => Token(model, t, V, where, row.Metric == ProbDiffMetric.MetricName ? "answers" : "answer")).ToArray();
            wrong[i] = row.Wrong.Select(t => Token(model, t, V, where, row.Metric == ProbDiffMetric.MetricName ? "wrong_answers" : "wrong")).ToArray();
            candidates[i] = row.Candidates.Select(t => Token(model, t, V, where, "candidates")).ToArray();
        }
        var targets = new MetricTargets(answers, wrong, candidates);
        for (int i = 0; i < pairs.Count; i++)
        {
            // the metric's own checks (one answer, distinct tokens, …), one row at a time so the error names the line
            try { PatchingMetric.Create(pairs.Metric, targets.Pick([i])); }
            catch (CircuitLensException ex) { throw new CircuitLensException($"{pairs.Where(i)}: {ex.Message.Replace("pair 1: ", "")}", ex); }
        }
        Metric = PatchingMetric.Create(pairs.Metric, targets);
        Pairs = pairs; Clean = clean; Corrupt = corrupt; PrependBos = prependBos;
    }

    /// <summary>The patching batch; errors name the row when clean and corrupted differ in token length.</summary>
    public PatchingBatch ToPatchingBatch()
    {
        for (int i = 0; i < Count; i++)
            if (Clean[i].Length != Corrupt[i].Length)
                throw new CircuitLensException($"{Pairs.Where(i)}: clean has {Clean[i].Length} tokens but corrupt has {Corrupt[i].Length}; activation patching needs position-aligned prompts of equal length");
        return new PatchingBatch(Clean, Corrupt, Metric);
    }

    private static int[] Prompt(HookedTransformer model, string? text, int[]? ids, bool prependBos, int bos, int vocab, string where, string field)
    {
        int[] tokens;
        if (ids is not null)
        {
            foreach (int id in ids)
                if (id >= vocab) throw new CircuitLensException($"{where}: field \"{field}_ids\" holds token id {id}, outside the vocabulary (size {vocab})");
            tokens = prependBos ? [bos, .. ids] : (int[])ids.Clone();
        }
        else tokens = model.ToTokens(text!, prependBos);
        if (tokens.Length == 0) throw new CircuitLensException($"{where}: field \"{field}\" is empty");
        if (tokens.Length > model.Config.NCtx) throw new CircuitLensException($"{where}: {field} has {tokens.Length} tokens, more than the model's context of {model.Config.NCtx}");
        return tokens;
    }

    private static int Token(HookedTransformer model, PairToken token, int vocab, string where, string field)
    {
        if (token.Id is { } id)
        {
            if (id >= vocab) throw new CircuitLensException($"{where}: field \"{field}\" holds token id {id}, outside the vocabulary (size {vocab})");
            return id;
        }
        if (!model.Tokenizer.TryGetSingleToken(token.Text!, out int single))
            throw new CircuitLensException($"{where}: \"{token.Text}\" in field \"{field}\" is {model.Tokenizer.Encode(token.Text!).Length} tokens, must be 1 (every answer is one token)");
        return single;
    }
}
