// The acronym task's words (García-Carrasco et al. 2024, REFERENCE.md §7): capitalised common nouns
// that GPT-2 splits into exactly two tokens, a capital letter with its space and the rest
// (" K" + "etchup"), and the 26 capital-letter tokens 'A'..'Z' (ids 32..57) the metric ranks.
// The list was made by filtering a few thousand common English nouns through the tokenizer;
// AcronymDatasetGenerator re-checks every word with the tokenizer it is given.
namespace CircuitLens.Tasks.Acronyms;

public static class AcronymVocabulary
{
    /// <summary>"The C1w1 C2w2 C3w3 (" followed by the letters predicted so far.</summary>
    public static string Prompt(IReadOnlyList<string> words, string lettersSoFar) => $"The {string.Join(' ', words)} ({lettersSoFar}";

    /// <summary>'A'..'Z' as one-character strings.</summary>
    public static IReadOnlyList<string> CapitalLetters { get; } = Enumerable.Range('A', 26).Select(c => ((char)c).ToString()).ToArray();

    public static IReadOnlyList<string> Nouns { get; } =
    [
        "Aisle", "Alder", "Ape", "Bail", "Bamboo", "Barge", "Basket", "Bead", "Beret", "Bison",
        "Bough", "Braid", "Bunk", "Burden", "Cabbage", "Cactus", "Calf", "Cane", "Cask", "Casket",
        "Cattle", "Cauldron", "Cello", "Cider", "Cone", "Cottage", "Cowl", "Crib", "Crop", "Cuff",
        "Curd", "Dime", "Dingo", "Ditch", "Drought", "Dune", "Dye", "Eel", "Fable", "Fawn",
        "Fence", "Fiddle", "Fowl", "Fudge", "Fuse", "Gown", "Gull", "Gumbo", "Haddock", "Hoe",
        "Hose", "Jigsaw", "Jockey", "Joke", "Jug", "Keg", "Kettle", "Kite", "Kitten", "Knee",
        "Lace", "Lard", "Lark", "Lasso", "Latch", "Lava", "Ledge", "Lid", "Locker", "Locket",
        "Loom", "Lotion", "Lumber", "Lute", "Mango", "Mink", "Mitten", "Mop", "Moth", "Mound",
        "Mule", "Nail", "Nectar", "Noodle", "Nook", "Oar", "Oasis", "Oat", "Oatmeal", "Oven",
        "Paddle", "Pail", "Pane", "Pawn", "Pelt", "Pint", "Poodle", "Pouch", "Prawn", "Prow",
        "Pudding", "Puddle", "Punt", "Rake", "Rind", "Rink", "Rook", "Rope", "Rung", "Sash",
        "Sink", "Sled", "Sling", "Sock", "Toga", "Tractor", "Trench", "Trolley", "Trough", "Tuba",
        "Tug", "Tuna", "Tusk", "Vase", "Vat", "Vial", "Vole", "Waffle", "Wagon", "Wasp",
        "Wig", "Wisp", "Wombat", "Wreath", "Wreck", "Wren", "Yacht", "Yarn", "Yew", "Yolk",
        "Zebra", "Zipper",
    ];
}
