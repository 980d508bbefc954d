// The short IOI demo set (TransformerLens' exploratory-analysis demo): 4 sentences, each with
// S2 = either name, so 8 prompts; the answer is the other name and the corruption is the S2 swap.
// Row order follows the demo's (answer, wrong) name pairs (" Mary"," John"), (" Tom"," James"),
// (" Dan"," Sid"), (" Martin"," Amy"): for each sentence, first the row whose answer is the pair's
// first name, then the row whose answer is its second name.
using CircuitLens.Tokenization;

namespace CircuitLens.Tasks.Ioi;

public static class IoiDemoSet
{
    /// <summary>Name used for this set on the command line (--builtin demo).</summary>
    public const string Name = "demo";

    // (BABA template, answer of the sentence's first row, answer of its second row)
    private static readonly (string Template, string FirstAnswer, string SecondAnswer)[] s_sentences =
    [
        ("When [B] and [A] went to the shops, [B] gave the bag to [A]", "Mary", "John"),
        ("When [B] and [A] went to the park, [B] gave the ball to [A]", "Tom", "James"),
        ("When [B] and [A] went to the shops, [B] gave an apple to [A]", "Dan", "Sid"),
        ("After [B] and [A] went to the park, [B] gave a drink to [A]", "Martin", "Amy"),
    ];

    // The sentences name the two people in this order ("When John and Mary ...").
    private static readonly (string A, string B)[] s_sentenceOrder = [("John", "Mary"), ("Tom", "James"), ("Dan", "Sid"), ("Martin", "Amy")];

    public static IReadOnlyList<IoiPair> Pairs(Gpt2Tokenizer? tokenizer = null)
    {
        tokenizer ??= Gpt2Tokenizer.Default;
        var pairs = new List<IoiPair>(8);
        for (int i = 0; i < s_sentences.Length; i++)
        {
            var (text, firstAnswer, secondAnswer) = s_sentences[i];
            var template = IoiTemplate.Parse(text);
            foreach (var (io, s) in new[] { (firstAnswer, secondAnswer), (secondAnswer, firstAnswer) })
            {
                // IO named first in the sentence ("John and Mary ..., Mary gave") is ABBA; S first is BABA
                var pattern = s_sentenceOrder[i].A == io ? IoiPattern.Abba : IoiPattern.Baba;
                pairs.Add(Make(template, pattern, io, s, tokenizer));
            }
        }
        return pairs;
    }

    private static IoiPair Make(IoiTemplate template, IoiPattern pattern, string io, string s, Gpt2Tokenizer tokenizer)
    {
        string corrupt = template.Prompt(pattern, io, s, io, "", "");
        return IoiDatasetGenerator.MakePair(template, pattern, IoiCorruption.S2Swap, io, s, "", "", corrupt, tokenizer);
    }
}
