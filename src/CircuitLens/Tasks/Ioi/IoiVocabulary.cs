// The IOI word lists as data: the 15 BABA templates, places, objects and the 99 Easy-Transformer
// names (Wang et al. 2022, REFERENCE.md §5), plus the check that keeps only words that are a single
// GPT-2 token with their leading space. It does not build prompts (IoiTemplate does).
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.Ioi;

public static class IoiVocabulary
{
    /// <summary>BABA templates: [B] = subject S, [A] = indirect object IO; the prompt stops before the final [A].</summary>
    public static IReadOnlyList<string> BabaTemplates { get; } =
    [
        "Then, [B] and [A] went to the [PLACE]. [B] gave a [OBJECT] to [A]",
        "Then, [B] and [A] had a lot of fun at the [PLACE]. [B] gave a [OBJECT] to [A]",
        "Then, [B] and [A] were working at the [PLACE]. [B] decided to give a [OBJECT] to [A]",
        "Then, [B] and [A] were thinking about going to the [PLACE]. [B] wanted to give a [OBJECT] to [A]",
        "Then, [B] and [A] had a long argument, and afterwards [B] said to [A]",
        "After [B] and [A] went to the [PLACE], [B] gave a [OBJECT] to [A]",
        "When [B] and [A] got a [OBJECT] at the [PLACE], [B] decided to give it to [A]",
        "When [B] and [A] got a [OBJECT] at the [PLACE], [B] decided to give the [OBJECT] to [A]",
        "While [B] and [A] were working at the [PLACE], [B] gave a [OBJECT] to [A]",
        "While [B] and [A] were commuting to the [PLACE], [B] gave a [OBJECT] to [A]",
        "After the lunch, [B] and [A] went to the [PLACE]. [B] gave a [OBJECT] to [A]",
        "Afterwards, [B] and [A] went to the [PLACE]. [B] gave a [OBJECT] to [A]",
        "Then, [B] and [A] had a long argument. Afterwards [B] said to [A]",
        "The [PLACE] [B] and [A] went to had a [OBJECT]. [B] gave it to [A]",
        "Friends [B] and [A] found a [OBJECT] at the [PLACE]. [B] gave it to [A]",
    ];

    public static IReadOnlyList<string> Places { get; } =
        ["store", "garden", "restaurant", "school", "hospital", "office", "house", "station"];

    public static IReadOnlyList<string> Objects { get; } =
        ["ring", "kiss", "bone", "basketball", "computer", "necklace", "drink", "snack"];

    public static IReadOnlyList<string> Names { get; } =
    [
        "Michael", "Christopher", "Jessica", "Matthew", "Ashley", "Jennifer", "Joshua", "Amanda", "Daniel", "David",
        "James", "Robert", "John", "Joseph", "Andrew", "Ryan", "Brandon", "Jason", "Justin", "Sarah",
        "William", "Jonathan", "Stephanie", "Brian", "Nicole", "Nicholas", "Anthony", "Heather", "Eric", "Elizabeth",
        "Adam", "Megan", "Melissa", "Kevin", "Steven", "Thomas", "Timothy", "Christina", "Kyle", "Rachel",
        "Laura", "Lauren", "Amber", "Brittany", "Danielle", "Richard", "Kimberly", "Jeffrey", "Amy", "Crystal",
        "Michelle", "Tiffany", "Jeremy", "Benjamin", "Mark", "Emily", "Aaron", "Charles", "Rebecca", "Jacob",
        "Stephen", "Patrick", "Sean", "Erin", "Jamie", "Kelly", "Samantha", "Nathan", "Sara", "Dustin",
        "Paul", "Angela", "Tyler", "Scott", "Katherine", "Andrea", "Gregory", "Erica", "Mary", "Travis",
        "Lisa", "Kenneth", "Bryan", "Lindsey", "Kristen", "Jose", "Alexander", "Jesse", "Katie", "Lindsay",
        "Shannon", "Vanessa", "Courtney", "Christine", "Alicia", "Cody", "Allison", "Bradley", "Samuel",
    ];

    /// <summary>
    /// Keeps the words that encode to exactly one token with a leading space (" John") and reports
    /// the rest. <paramref name="kind"/> ("name", "place", "object") labels the dropped entries.
    /// </summary>
    public static List<string> KeepSingleTokens(IReadOnlyList<string> words, string kind, Gpt2Tokenizer tokenizer, List<IoiDroppedWord> dropped)
    {
        var kept = new List<string>(words.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string word in words)
        {
            if (!seen.Add(word)) continue;
            if (string.IsNullOrWhiteSpace(word) || word != word.Trim())
            {
                dropped.Add(new IoiDroppedWord(word, kind, "empty or has surrounding whitespace"));
                continue;
            }
            int tokens = tokenizer.Encode(" " + word, allowSpecial: false).Length;
            if (tokens == 1) kept.Add(word);
            else dropped.Add(new IoiDroppedWord(word, kind, $"\" {word}\" is {tokens} tokens, not 1"));
        }
        return kept;
    }
}
