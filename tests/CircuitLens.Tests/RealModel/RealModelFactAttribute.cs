// A [Fact] that runs only when CIRCUITLENS_GPT2_DIR names a GPT-2 small checkpoint directory
// (config.json + model.safetensors) and is skipped, saying why, otherwise. The weights are never
// downloaded by the tests: CI has no network and the suite must stay fast.
namespace CircuitLens.Tests.RealModel;

public sealed class RealModelFactAttribute : FactAttribute
{
    public const string Variable = "CIRCUITLENS_GPT2_DIR";

    public RealModelFactAttribute()
    {
        if (SkipReason() is { } reason) Skip = reason;
    }

    /// <summary>Why the real-model tests cannot run here, or null when they can.</summary>
    public static string? SkipReason()
    {
        string? dir = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(dir)) return $"set {Variable} to a GPT-2 small checkpoint directory to run";
        if (!File.Exists(Path.Combine(dir, "config.json")) || !File.Exists(Path.Combine(dir, "model.safetensors")))
            return $"{Variable}={dir} has no config.json + model.safetensors; set it to a GPT-2 small checkpoint directory to run";
        return null;
    }
}
