// Generates acronym prompts: three distinct two-token nouns (" K" + "etchup"), the prompt "The C1w1
// C2w2 C3w3 (A1A2" (10 tokens: The, 3×2 word tokens, " (", A1, A2), and per step a corruption that
// gives the step's noun another capital, chosen so the noun still splits as [" X'", same rest] and
// the prompt keeps its token length. Acronyms whose letters would merge into one token (e.g. "(AB")
// are redrawn. Reproducible by seed; every row is checked against the tokenizer.
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.Acronyms;

public static class AcronymDatasetGenerator
{
    /// <summary>Tokens of the full prompt "The C1w1 C2w2 C3w3 (A1A2" (without BOS).</summary>
    public const int FullPromptTokens = 10;

    private const int MaxDrawsPerAcronym = 1000;

    public static AcronymDataset Generate(AcronymDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.N < 1) throw new CircuitLensException($"acronym dataset size must be at least 1 (got {options.N})");
        var tokenizer = options.Tokenizer ?? Gpt2Tokenizer.Default;
        var dropped = new List<string>();
        var nouns = new List<string>();
        foreach (var noun in options.Nouns ?? AcronymVocabulary.Nouns)
            (IsTwoTokenCapitalised(tokenizer, noun) ? nouns : dropped).Add(noun);
        if (nouns.Select(n => n[0]).Distinct().Count() < 2 || nouns.Count < 3)
            throw new CircuitLensException($"acronym dataset: only {nouns.Count} nouns split as \" X\" + one token; need at least 3 with 2 different capitals");
        var letters = AcronymVocabulary.CapitalLetters.Select(l => tokenizer.TokenId(l)).ToArray();

        var rng = new Random(options.Seed);
        var rows = new List<AcronymPair>(options.N * 3);
        for (int group = 0; group < options.N; group++)
        {
            for (int draw = 0; ; draw++)
            {
                if (draw == MaxDrawsPerAcronym) throw new CircuitLensException($"acronym dataset: no well-tokenised acronym found in {MaxDrawsPerAcronym} draws (noun list too small?)");
                var words = new string[3];
                for (int i = 0; i < 3; i++) { do words[i] = nouns[rng.Next(nouns.Count)]; while (words[..i].Contains(words[i])); }
                if (!IsWellTokenised(tokenizer, words, letters)) continue;
                var corrupt = new string[3];
                bool ok = true;
                for (int s = 0; s < 3 && ok; s++) ok = TryCorrupt(tokenizer, words, s, rng, out corrupt[s]);
                if (!ok) continue;
                for (int s = 0; s < 3; s++) rows.Add(new AcronymPair(group, words, s + 1, corrupt[s]));
                break;
            }
        }
        foreach (var row in rows) Check(tokenizer, row);
        return new AcronymDataset(rows, dropped);
    }

    /// <summary>True when " Noun" is exactly [" N", "oun"]: a capital with its space, then one token.</summary>
    public static bool IsTwoTokenCapitalised(Gpt2Tokenizer tokenizer, string noun)
    {
        if (noun.Length < 2 || noun[0] is < 'A' or > 'Z') return false;
        var ids = tokenizer.Encode(" " + noun, allowSpecial: false);
        return ids.Length == 2 && tokenizer.TokenToString(ids[0]) == " " + noun[0];
    }

    // The full prompt is The | C1 w1 | C2 w2 | C3 w3 | " (" | A1 | A2, the letters being the capital-letter tokens.
    private static bool IsWellTokenised(Gpt2Tokenizer tokenizer, string[] words, int[] letters)
    {
        var ids = tokenizer.Encode(AcronymVocabulary.Prompt(words, $"{words[0][0]}{words[1][0]}"), allowSpecial: false);
        return ids.Length == FullPromptTokens && tokenizer.TokenToString(ids[7]) == " ("
            && ids[8] == letters[words[0][0] - 'A'] && ids[9] == letters[words[1][0] - 'A'];
    }

    // Another capital for word s, in random order, such that the word splits as [" X'", same rest] and the prompt keeps its length.
    private static bool TryCorrupt(Gpt2Tokenizer tokenizer, string[] words, int s, Random rng, out string corrupt)
    {
        string word = words[s];
        var rest = tokenizer.Encode(" " + word, allowSpecial: false)[1];
        var order = AcronymVocabulary.CapitalLetters.Where(l => l[0] != word[0]).ToArray();
        rng.Shuffle(order);
        foreach (var letter in order)
        {
            string candidate = letter + word[1..];
            var ids = tokenizer.Encode(" " + candidate, allowSpecial: false);
            if (ids.Length != 2 || tokenizer.TokenToString(ids[0]) != " " + letter || ids[1] != rest) continue;
            corrupt = candidate;
            return true;
        }
        corrupt = "";
        return false;
    }

    // Clean and corrupted prompts have the step's length (7 + step tokens) and differ only in the step word's capital token.
    private static void Check(Gpt2Tokenizer tokenizer, AcronymPair row)
    {
        var clean = tokenizer.Encode(row.Clean, allowSpecial: false);
        var corrupt = tokenizer.Encode(row.Corrupt, allowSpecial: false);
        int expected = FullPromptTokens - 3 + row.Step;
        int differing = clean.Length == corrupt.Length ? clean.Zip(corrupt).Count(p => p.First != p.Second) : -1;
        if (clean.Length != expected || corrupt.Length != expected || differing != 1 || clean[1 + 2 * (row.Step - 1)] == corrupt[1 + 2 * (row.Step - 1)])
            throw new CircuitLensException($"acronym dataset: \"{row.Clean}\" / \"{row.Corrupt}\" do not tokenise as expected ({clean.Length}/{corrupt.Length} tokens, want {expected})");
    }
}
