// The greater-than task's data (Hanna et al. 2023, REFERENCE.md §6): the prompt template, its 120
// event nouns, the centuries 11–17 and the 100 two-digit year tokens "00".."99" the metric sums over.
// It holds words only; GreaterThanDatasetGenerator builds and checks prompts.
namespace CircuitLens.Tasks.GreaterThan;

public static class GreaterThanVocabulary
{
    /// <summary>"The {noun} lasted from the year {XXYY} to the year {XX}": the model's next token is a two-digit year YY'.</summary>
    public static string Prompt(string noun, int century, int yy) => $"The {noun} lasted from the year {century}{yy:D2} to the year {century}";

    /// <summary>The start year the corrupted prompt uses: XX01, so that (nearly) every YY' is "greater".</summary>
    public const int CorruptYear = 1;

    public const int FirstCentury = 11, LastCentury = 17;

    /// <summary>Start years YY range over 02..98 so both answer sets are non-empty and differ from the corruption.</summary>
    public const int FirstYear = 2, LastYear = 98;

    /// <summary>The 100 two-digit tokens "00".."99" (no leading space).</summary>
    public static IReadOnlyList<string> TwoDigitTokens { get; } = Enumerable.Range(0, 100).Select(y => y.ToString("D2")).ToArray();

    public static IReadOnlyList<string> Nouns { get; } =
    [
        "abduction", "accord", "affair", "agreement", "appraisal", "assaults", "assessment", "attack", "attempts", "campaign",
        "captivity", "case", "challenge", "chaos", "clash", "collaboration", "coma", "competition", "confrontation", "consequence",
        "conspiracy", "construction", "consultation", "contact", "contract", "convention", "cooperation", "custody", "deal", "decline",
        "decrease", "demonstrations", "development", "disagreement", "disorder", "dispute", "domination", "dynasty", "effect", "effort",
        "employment", "endeavor", "engagement", "epidemic", "evaluation", "exchange", "existence", "expansion", "expedition", "experiments",
        "fall", "fame", "flights", "friendship", "growth", "hardship", "hostility", "illness", "impact", "imprisonment",
        "improvement", "incarceration", "increase", "insurgency", "invasion", "investigation", "journey", "kingdom", "marriage", "modernization",
        "negotiation", "notoriety", "obstruction", "operation", "order", "outbreak", "outcome", "overhaul", "patrols", "pilgrimage",
        "plague", "plan", "practice", "process", "program", "progress", "project", "pursuit", "quest", "raids",
        "reforms", "reign", "relationship", "retaliation", "riot", "rise", "rivalry", "romance", "rule", "sanctions",
        "shift", "siege", "slump", "stature", "stint", "strikes", "study", "test", "testing", "tests",
        "therapy", "tour", "tradition", "treaty", "trial", "trip", "unemployment", "voyage", "warfare", "work",
    ];
}
