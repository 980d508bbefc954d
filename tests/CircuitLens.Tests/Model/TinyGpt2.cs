// The shared tiny random GPT-2 fixture (3 layers, 4 heads, d_model 64) and its cases, loaded once.
using System.Text.Json;
using CircuitLens.Model;

namespace CircuitLens.Tests.Model;

public static class TinyGpt2
{
    private static readonly Lazy<HookedTransformer> s_model = new(() => HookedTransformer.FromDirectory(ModelDir));
    private static readonly Lazy<JsonElement> s_cases = new(() => JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("tiny-gpt2", "cases.json"))).RootElement);

    public static string ModelDir => TestPaths.Fixture("tiny-gpt2", "model");
    public static HookedTransformer Model => s_model.Value;
    public static string Expected(params string[] parts) => Path.Combine([TestPaths.Fixture("tiny-gpt2", "expected"), .. parts]);

    public static IReadOnlyList<string> Prompts => s_cases.Value.GetProperty("prompts").EnumerateArray().Select(e => e.GetString()!).ToList();
    public static IReadOnlyList<int[]> PromptIds => s_cases.Value.GetProperty("prompt_ids").EnumerateArray().Select(Ids).ToList();

    public sealed record Pair(string Clean, string Corrupt, string Answer, string Wrong, int[] CleanIds, int[] CorruptIds, int AnswerId, int WrongId);

    public static IReadOnlyList<Pair> Pairs => s_cases.Value.GetProperty("pairs").EnumerateArray().Select(p => new Pair(
        p.GetProperty("clean").GetString()!, p.GetProperty("corrupt").GetString()!, p.GetProperty("answer").GetString()!, p.GetProperty("wrong").GetString()!,
        Ids(p.GetProperty("clean_ids")), Ids(p.GetProperty("corrupt_ids")), p.GetProperty("answer_id").GetInt32(), p.GetProperty("wrong_id").GetInt32())).ToList();

    private static int[] Ids(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
}
