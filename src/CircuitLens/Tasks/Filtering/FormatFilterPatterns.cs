// The compiled regular expressions the format filter is built from, one per rule, each documented.
// Kept apart from FormatFilter so the rules read as a list; this file does no validation itself.
using System.Text.RegularExpressions;

namespace CircuitLens.Tasks.Filtering;

internal static partial class FormatFilterPatterns
{
    /// <summary>Any line break, including the Unicode ones (NEL, LINE/PARAGRAPH SEPARATOR): prompts must be one line.</summary>
    [GeneratedRegex(@"[\r\n\u0085\u2028\u2029]")]
    internal static partial Regex LineBreak();

    /// <summary>Control (Cc), invisible format (Cf), private-use (Co) and unassigned (Cn) characters. Surrogate
    /// halves (Cs) are allowed because .NET strings store emoji and other astral characters as pairs.</summary>
    [GeneratedRegex(@"[\p{Cc}\p{Cf}\p{Co}\p{Cn}]")]
    internal static partial Regex NonPrintable();

    /// <summary>Whitespace as the last character: the prompt must stop right before the answer's leading space.</summary>
    [GeneratedRegex(@"\s\z")]
    internal static partial Regex TrailingWhitespace();

    /// <summary>A letter as the last character: the prompt ends with a word such as "to", not with punctuation.</summary>
    [GeneratedRegex(@"\p{L}\z")]
    internal static partial Regex EndsWithLetter();

    /// <summary>A name: one upper-case letter followed by lower-case letters ("John", "Mary"); rejects "JOHN", "john", "Jo3".</summary>
    [GeneratedRegex(@"^\p{Lu}\p{Ll}+\z")]
    internal static partial Regex CapitalisedName();

    /// <summary>A word: a maximal run of letters. Names are matched as whole words, so "Mary" in "Maryland" does not count.</summary>
    [GeneratedRegex(@"\p{L}+")]
    internal static partial Regex Word();
}
