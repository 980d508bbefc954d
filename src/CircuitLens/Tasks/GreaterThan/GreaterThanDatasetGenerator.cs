// Generates greater-than pairs (Hanna et al. 2023): a noun, a century XX in 11–17 and a start year
// YY in 02–98, kept only when " XXYY" tokenises as [" XX", "YY"] (and " XX01" likewise, for the
// corruption) so the model reads the year as century + two-digit token. Every row is checked: the
// two prompts have the same token length, the century and YY tokens sit where expected, and every
// answer "00".."99" is one token. Reproducible by seed (System.Random, fixed draw order).
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.GreaterThan;

public static class GreaterThanDatasetGenerator
{
    public static IReadOnlyList<GreaterThanPair> Generate(GreaterThanDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.N < 1) throw new CircuitLensException($"greater-than dataset size must be at least 1 (got {options.N})");
        var tokenizer = options.Tokenizer ?? Gpt2Tokenizer.Default;
        var nouns = options.Nouns ?? GreaterThanVocabulary.Nouns;
        if (nouns.Count == 0) throw new CircuitLensException("greater-than dataset: the noun list is empty");
        foreach (var y in GreaterThanVocabulary.TwoDigitTokens)
            if (!tokenizer.TryGetSingleToken(y, out _)) throw new CircuitLensException($"greater-than dataset: \"{y}\" is not a single token of this tokenizer");

        var years = ValidYears(tokenizer);
        if (years.Count == 0) throw new CircuitLensException("greater-than dataset: no year XXYY of centuries 11–17 tokenises as [\" XX\", \"YY\"]");
        var rng = new Random(options.Seed);
        var rows = new List<GreaterThanPair>(options.N);
        for (int i = 0; i < options.N; i++)
        {
            string noun = nouns[rng.Next(nouns.Count)];
            var (century, yy) = years[rng.Next(years.Count)];
            var pair = new GreaterThanPair(noun, century, yy);
            Check(pair, tokenizer);
            rows.Add(pair);
        }
        return rows;
    }

    /// <summary>Every (century, YY) whose " XXYY" and " XX01" both tokenise as [" XX", "YY"].</summary>
    public static IReadOnlyList<(int Century, int Year)> ValidYears(Gpt2Tokenizer tokenizer)
    {
        var result = new List<(int, int)>();
        for (int c = GreaterThanVocabulary.FirstCentury; c <= GreaterThanVocabulary.LastCentury; c++)
        {
            if (!SplitsAsCenturyAndYear(tokenizer, c, GreaterThanVocabulary.CorruptYear)) continue;
            for (int y = GreaterThanVocabulary.FirstYear; y <= GreaterThanVocabulary.LastYear; y++)
                if (SplitsAsCenturyAndYear(tokenizer, c, y)) result.Add((c, y));
        }
        return result;
    }

    /// <summary>True when " XXYY" is exactly the two tokens " XX" and "YY".</summary>
    public static bool SplitsAsCenturyAndYear(Gpt2Tokenizer tokenizer, int century, int yy)
    {
        var ids = tokenizer.Encode($" {century}{yy:D2}", allowSpecial: false);
        return ids.Length == 2 && tokenizer.TokenToString(ids[0]) == $" {century}" && tokenizer.TokenToString(ids[1]) == yy.ToString("D2");
    }

    // The prompt reads "... year| XX|YY| to| the| year| XX": the YY token is 5 before the end, the century 6 before and at the end.
    private static void Check(GreaterThanPair pair, Gpt2Tokenizer tokenizer)
    {
        var clean = tokenizer.Encode(pair.Clean, allowSpecial: false);
        var corrupt = tokenizer.Encode(pair.Corrupt, allowSpecial: false);
        string century = $" {pair.Century}";
        if (clean.Length != corrupt.Length || clean.Length < 7
            || tokenizer.TokenToString(clean[^1]) != century || tokenizer.TokenToString(clean[^6]) != century
            || tokenizer.TokenToString(clean[^5]) != pair.Year.ToString("D2") || tokenizer.TokenToString(corrupt[^5]) != "01")
            throw new CircuitLensException($"greater-than dataset: \"{pair.Clean}\" / \"{pair.Corrupt}\" do not tokenise as the template expects");
    }
}
