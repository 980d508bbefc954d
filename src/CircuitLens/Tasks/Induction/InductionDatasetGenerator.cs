// Generates induction rows: a block of L distinct random word tokens (ids in a range of common words,
// keeping only " word" tokens: a space and letters), the block again up to a random cut, and the
// corruption that swaps the token the answer is copied from. Word tokens keep every id a token the
// tokenizer would produce itself, so decoded prompts read as (nonsense) text. Reproducible by seed.
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.Induction;

public static class InductionDatasetGenerator
{
    public static IReadOnlyList<InductionPair> Generate(InductionDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.N < 1) throw new CircuitLensException($"induction dataset size must be at least 1 (got {options.N})");
        if (options.Length < 2) throw new CircuitLensException($"induction block length must be at least 2 (got {options.Length})");
        var tokenizer = options.Tokenizer ?? Gpt2Tokenizer.Default;
        var words = WordTokens(tokenizer, options.MinTokenId, options.MaxTokenId);
        if (words.Count < options.Length + 1)
            throw new CircuitLensException($"induction dataset: only {words.Count} word tokens in ids [{options.MinTokenId}, {options.MaxTokenId}); a block of {options.Length} needs {options.Length + 1}");

        var rng = new Random(options.Seed);
        var rows = new List<InductionPair>(options.N);
        for (int i = 0; i < options.N; i++)
        {
            var ids = new List<int>(options.Length + 1);
            while (ids.Count < options.Length + 1)
            {
                int id = words[rng.Next(words.Count)];
                if (!ids.Contains(id)) ids.Add(id);   // no repeats inside a block: a repeat would make the induction answer ambiguous
            }
            var block = ids[..options.Length].ToArray();
            int replacement = ids[options.Length];
            int prefix = 1 + rng.Next(options.Length - 1);
            rows.Add(new InductionPair(block, prefix, replacement));
        }
        return rows;
    }

    /// <summary>Ids in [min, max) whose token is a space followed by two or more ASCII letters.</summary>
    public static IReadOnlyList<int> WordTokens(Gpt2Tokenizer tokenizer, int min, int max)
    {
        if (min < 0 || max > tokenizer.VocabSize || min >= max)
            throw new CircuitLensException($"induction dataset: token range [{min}, {max}) is not inside the vocabulary [0, {tokenizer.VocabSize})");
        var result = new List<int>();
        for (int id = min; id < max; id++)
        {
            if (id == Gpt2Tokenizer.EndOfTextId) continue;
            var text = tokenizer.TokenToString(id);
            if (text.Length >= 3 && text[0] == ' ' && text.Skip(1).All(char.IsAsciiLetter)) result.Add(id);
        }
        return result;
    }
}
