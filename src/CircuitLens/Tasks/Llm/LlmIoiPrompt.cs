// The chat prompt that asks a model for IOI sentence pairs, one JSON object per line:
// {"clean": "...", "corrupt": "...", "io": "...", "s": "..."}. Examples are filled from REFERENCE §5 templates
// with names, places and objects drawn from a seeded random source, so a seed reproduces the exact prompts.
// It does not parse replies; FormatFilter judges every returned line.
using System.Text;
using System.Text.Json;
using CircuitLens.Tasks.Filtering;

namespace CircuitLens.Tasks.Llm;

public static class LlmIoiPrompt
{
    // [A] = indirect object, [B] = subject; the final [A] is the answer and is left out of the prompt.
    private static readonly string[] ExampleTemplates =
    [
        "Then, [B] and [A] went to the [PLACE]. [B] gave a [OBJECT] to",
        "When [B] and [A] got a [OBJECT] at the [PLACE], [B] decided to give it to",
        "While [A] and [B] were working at the [PLACE], [B] gave a [OBJECT] to",
        "After [B] and [A] went to the [PLACE], [B] gave a [OBJECT] to",
    ];

    private static readonly string[] Places = ["store", "garden", "restaurant", "school", "hospital", "office", "house", "station"];
    private static readonly string[] Objects = ["ring", "kiss", "bone", "basketball", "computer", "necklace", "drink", "snack"];

    /// <summary>Easy-Transformer's IOI names (REFERENCE §5); single GPT-2 tokens with a leading space.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "Michael", "Christopher", "Jessica", "Matthew", "Ashley", "Jennifer", "Joshua", "Amanda", "Daniel", "David",
        "James", "Robert", "John", "Joseph", "Andrew", "Ryan", "Brandon", "Jason", "Justin", "Sarah", "William",
        "Jonathan", "Stephanie", "Brian", "Nicole", "Nicholas", "Anthony", "Heather", "Eric", "Elizabeth", "Adam",
        "Megan", "Melissa", "Kevin", "Steven", "Thomas", "Timothy", "Christina", "Kyle", "Rachel", "Laura", "Lauren",
        "Amber", "Brittany", "Danielle", "Richard", "Kimberly", "Jeffrey", "Amy", "Crystal", "Michelle", "Tiffany",
        "Jeremy", "Benjamin", "Mark", "Emily", "Aaron", "Charles", "Rebecca", "Jacob", "Stephen", "Patrick", "Sean",
        "Erin", "Jamie", "Kelly", "Samantha", "Nathan", "Sara", "Dustin", "Paul", "Angela", "Tyler", "Scott",
        "Katherine", "Andrea", "Gregory", "Erica", "Mary", "Travis", "Lisa", "Kenneth", "Bryan", "Lindsey", "Kristen",
        "Jose", "Alexander", "Jesse", "Katie", "Lindsay", "Shannon", "Vanessa", "Courtney", "Christine", "Alicia",
        "Cody", "Allison", "Bradley", "Samuel",
    ];

    /// <summary>System + user messages asking for <paramref name="count"/> pairs.</summary>
    public static IReadOnlyList<ChatMessage> Build(int count, Random rng)
    {
        var system = new StringBuilder();
        system.AppendLine("You write test sentences for an interpretability experiment on indirect object identification (IOI).");
        system.AppendLine("Each item is a pair of prompts:");
        system.AppendLine("- \"clean\": one sentence that mentions two different people, the subject S twice and the indirect object IO once.");
        system.AppendLine("  It stops right before IO would be named again, so it ends with a word such as \"to\", with no final punctuation or space.");
        system.AppendLine("- \"corrupt\": exactly the same text except that the second mention of S is replaced by IO.");
        system.AppendLine("- \"io\" and \"s\": the two names, each a single common capitalised first name.");
        system.AppendLine("Output exactly one JSON object per line with the keys \"clean\", \"corrupt\", \"io\", \"s\" and nothing else:");
        system.AppendLine("no numbering, no commentary, no code fences. Examples:");
        foreach (var line in ExampleLines(rng)) system.AppendLine(line);

        var names = Names.OrderBy(_ => rng.Next()).Take(12);
        string user = $"Write {count} new pairs, one per line. Vary the sentence structure, places, objects and verbs; "
                      + $"do not copy the examples. Prefer these names: {string.Join(", ", names)}.";
        return [ChatMessage.System(system.ToString().TrimEnd()), ChatMessage.User(user)];
    }

    /// <summary>Three example lines in the exact output format, drawn from the templates.</summary>
    public static IEnumerable<string> ExampleLines(Random rng)
    {
        foreach (var template in ExampleTemplates.OrderBy(_ => rng.Next()).Take(3))
        {
            string io = Names[rng.Next(Names.Count)], s;
            do s = Names[rng.Next(Names.Count)]; while (s == io);
            string filled = template.Replace("[PLACE]", Places[rng.Next(Places.Length)])
                                    .Replace("[OBJECT]", Objects[rng.Next(Objects.Length)]).Replace("[A]", io);
            int s2 = filled.LastIndexOf("[B]", StringComparison.Ordinal);
            string clean = filled.Replace("[B]", s);
            string corrupt = string.Concat(filled.AsSpan(0, s2), io, filled.AsSpan(s2 + 3)).Replace("[B]", s);
            yield return JsonSerializer.Serialize(new { clean, corrupt, io, s }, FormatFilterJsonl.Compact);
        }
    }
}
