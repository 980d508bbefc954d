// One example for report.html's attention-pattern viewer: its tokens and every head's pattern on
// it, [layer, head, query_pos, key_pos], as the caller computed them (Reports run no model). The
// viewer draws the pattern of the head a reader clicks as a token × token grid (CircuitsVis' view).
using CircuitLens.Tensors;

namespace CircuitLens.Reports;

public sealed record AttentionExample(string Prompt, string[] Tokens, Tensor Patterns)
{
    /// <summary>Throws unless Patterns is [layers, heads, T, T] with T = the number of tokens.</summary>
    internal void Validate()
    {
        if (Tokens is null || Tokens.Length == 0) throw new CircuitLensException($"attention example '{Prompt}' has no tokens");
        if (Patterns is null || Patterns.Rank != 4 || Patterns.Dim(2) != Tokens.Length || Patterns.Dim(3) != Tokens.Length)
            throw new CircuitLensException($"attention example '{Prompt}': patterns must be [layer, head, {Tokens.Length}, {Tokens.Length}], got [{string.Join(", ", Patterns?.Shape ?? [])}]");
    }
}
