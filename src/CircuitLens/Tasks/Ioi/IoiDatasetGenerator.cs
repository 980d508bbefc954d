// Generates template-based IOI pairs (Wang et al. 2022): a clean prompt, its corruption (S2 swap
// or ABC), the answer " IO", the competing " S", and the token positions of IO, S1, S2 and the
// last token. Reproducible: System.Random(seed) is stable across .NET versions, and the draws
// happen in a fixed order. It does not call a model or filter by model behaviour.
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.Ioi;

public static class IoiDatasetGenerator
{
    public static IoiDataset Generate(IoiDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.N < 1) throw new CircuitLensException($"IOI dataset size must be at least 1 (got {options.N})");
        Gpt2Tokenizer tokenizer = options.Tokenizer ?? Gpt2Tokenizer.Default;

        var dropped = new List<IoiDroppedWord>();
        List<string> names = IoiVocabulary.KeepSingleTokens(options.Names ?? IoiVocabulary.Names, "name", tokenizer, dropped);
        List<string> places = IoiVocabulary.KeepSingleTokens(options.Places ?? IoiVocabulary.Places, "place", tokenizer, dropped);
        List<string> objects = IoiVocabulary.KeepSingleTokens(options.Objects ?? IoiVocabulary.Objects, "object", tokenizer, dropped);
        int namesNeeded = options.Corruption == IoiCorruption.Abc ? 5 : 2;
        if (names.Count < namesNeeded)
            throw new CircuitLensException($"IOI dataset needs at least {namesNeeded} single-token names for {IoiOptionText.Format(options.Corruption)}, {names.Count} left");
        if (places.Count == 0) throw new CircuitLensException("IOI dataset: no single-token place left");
        if (objects.Count == 0) throw new CircuitLensException("IOI dataset: no single-token object left");

        IReadOnlyList<string> templateTexts = options.Templates ?? IoiVocabulary.BabaTemplates;
        if (templateTexts.Count == 0) throw new CircuitLensException("IOI dataset: the template list is empty");
        var templates = new IoiTemplate[templateTexts.Count];
        for (int t = 0; t < templates.Length; t++) templates[t] = IoiTemplate.Parse(templateTexts[t]);

        var rng = new Random(options.Seed);
        var pairs = new List<IoiPair>(options.N);
        for (int row = 0; row < options.N; row++)
        {
            IoiTemplate template = templates[rng.Next(templates.Length)];
            IoiPattern pattern = options.Pattern == IoiPattern.Mixed ? (row % 2 == 0 ? IoiPattern.Baba : IoiPattern.Abba) : options.Pattern;
            string place = places[rng.Next(places.Count)];
            string obj = objects[rng.Next(objects.Count)];
            string io = names[rng.Next(names.Count)];
            string s = DrawOther(rng, names, io);

            string corrupt;
            if (options.Corruption == IoiCorruption.S2Swap)
                corrupt = template.Prompt(pattern, io, s, io, place, obj);
            else
            {
                string c = DrawOther(rng, names, io, s);
                string d = DrawOther(rng, names, io, s, c);
                string e = DrawOther(rng, names, io, s, c, d);
                corrupt = template.Prompt(pattern, c, d, e, place, obj);
            }
            pairs.Add(MakePair(template, pattern, options.Corruption, io, s, place, obj, corrupt, tokenizer));
        }
        return new IoiDataset(pairs, dropped);
    }

    /// <summary>Builds one row and its token positions; checks the invariants the metric relies on.</summary>
    internal static IoiPair MakePair(IoiTemplate template, IoiPattern pattern, IoiCorruption corruption,
        string io, string s, string place, string obj, string corrupt, Gpt2Tokenizer tokenizer)
    {
        string clean = template.Prompt(pattern, io, s, s, place, obj);
        int[] ids = tokenizer.Encode(clean, allowSpecial: false);
        int ioSlot = pattern == IoiPattern.Abba ? 0 : 1, s1Slot = 1 - ioSlot;
        int ioPos = NamePosition(template, ioSlot, pattern, io, s, place, obj, ids, tokenizer);
        int s1Pos = NamePosition(template, s1Slot, pattern, io, s, place, obj, ids, tokenizer);
        int s2Pos = NamePosition(template, 2, pattern, io, s, place, obj, ids, tokenizer);

        int corruptLength = tokenizer.Encode(corrupt, allowSpecial: false).Length;
        if (corruptLength != ids.Length)
            throw new InvalidOperationException($"IOI corruption changed the token length ({ids.Length} -> {corruptLength}): \"{clean}\" / \"{corrupt}\"");

        return new IoiPair
        {
            Clean = clean,
            Corrupt = corrupt,
            Answer = " " + io,
            Wrong = " " + s,
            Template = template.Text(pattern),
            Io = io,
            S = s,
            Corruption = IoiOptionText.Format(corruption),
            Pattern = IoiOptionText.Format(pattern),
            IoPos = ioPos,
            S1Pos = s1Pos,
            S2Pos = s2Pos,
            EndPos = ids.Length - 1,
        };
    }

    // The name token starts a new pre-token (it follows text that does not end in whitespace), so
    // its position is the token count of the text before it. Verified against the full encoding.
    private static int NamePosition(IoiTemplate template, int slot, IoiPattern pattern, string io, string s,
        string place, string obj, int[] ids, Gpt2Tokenizer tokenizer)
    {
        string prefix = template.PrefixBeforeSlot(slot, pattern, io, s, place, obj);
        int pos = tokenizer.Encode(prefix, allowSpecial: false).Length;
        string name = slot == 2 || (pattern == IoiPattern.Abba) == (slot == 1) ? s : io;
        if (pos >= ids.Length || tokenizer.TokenToString(ids[pos]) != " " + name)
            throw new CircuitLensException($"IOI template \"{template.Baba}\": name \" {name}\" is not a token at position {pos} of the prompt");
        return pos;
    }

    private static string DrawOther(Random rng, List<string> names, params ReadOnlySpan<string> taken)
    {
        while (true)
        {
            string pick = names[rng.Next(names.Count)];
            if (!taken.Contains(pick)) return pick;
        }
    }
}
