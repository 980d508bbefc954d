// GPT-2 small from CIRCUITLENS_GPT2_DIR, loaded once for all real-model tests. Only touched from
// [RealModelFact] tests, which are skipped when the variable is unset.
using CircuitLens.Model;

namespace CircuitLens.Tests.RealModel;

public static class Gpt2Small
{
    private static readonly Lazy<HookedTransformer> s_model = new(() => HookedTransformer.FromDirectory(Directory));

    public static string Directory => Environment.GetEnvironmentVariable(RealModelFactAttribute.Variable)
        ?? throw new InvalidOperationException($"{RealModelFactAttribute.Variable} is not set (the test should have been skipped)");

    public static HookedTransformer Model => s_model.Value;

    /// <summary>The IOI paper's running example (TransformerLens' demo prompt).</summary>
    public const string IoiPrompt = "When John and Mary went to the shops, John gave the bag to";
}
