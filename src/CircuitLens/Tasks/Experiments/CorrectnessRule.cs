// When a task experiment counts a row as "the model gets it right" on the clean prompt.
namespace CircuitLens.Tasks.Experiments;

public enum CorrectnessRule
{
    /// <summary>The clean prompt's top-1 next token is an answer token (greater-than: any year above YY).</summary>
    Top1,
    /// <summary>The clean metric is positive (the answer side wins).</summary>
    Sign,
    /// <summary>Keep every row.</summary>
    None,
}
