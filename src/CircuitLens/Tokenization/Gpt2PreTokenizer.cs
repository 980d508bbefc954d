// Splits text into the "words" that GPT-2 BPE encodes independently. It is a hand-written scanner
// with exactly the semantics of the GPT-2 pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// as run by Python's `regex` module (and tiktoken): it walks Unicode code points, so letters
// outside the BMP (surrogate pairs) are letters, which a UTF-16 .NET Regex (Microsoft.ML.Tokenizers'
// own RegexPreTokenizer included) gets wrong; Gpt2Tokenizer runs it in front of the library's BPE. And
// \s is the Unicode White_Space property (= char.IsWhiteSpace; note Python's plain `re` would also
// count U+001C..U+001F). It does not know about special tokens; the tokenizer splits those first.
using System.Globalization;
using System.Text;

namespace CircuitLens.Tokenization;

internal static class Gpt2PreTokenizer
{
    private enum CharClass : byte { Letter, Number, Space, Other }

    /// <summary>End (exclusive) of the pre-token that starts at <paramref name="start"/>.</summary>
    public static int NextEnd(ReadOnlySpan<char> text, int start)
    {
        int n = text.Length;
        char c = text[start];

        // 1. contractions, case-sensitive, only at the start of a piece
        if (c == '\'' && start + 1 < n)
        {
            char d = text[start + 1];
            if (d == 's' || d == 't' || d == 'm' || d == 'd') return start + 2;
            if (start + 2 < n)
            {
                char e = text[start + 2];
                if ((d == 'r' && e == 'e') || (d == 'v' && e == 'e') || (d == 'l' && e == 'l')) return start + 3;
            }
        }

        // 2-4. an optional single U+0020 then a run of letters, of numbers, or of "other" characters
        int body = c == ' ' && start + 1 < n ? start + 1 : start;
        CharClass cls = Classify(text, body, out int width);
        if (cls != CharClass.Space)
        {
            int end = body + width;
            while (end < n && Classify(text, end, out width) == cls) end += width;
            return end;
        }

        // 5-6. whitespace: the whole run at the end of text; otherwise leave the last whitespace
        // character for the next piece (\s+(?!\S)), unless the run is a single character (\s+)
        int runEnd = start + 1;
        while (runEnd < n && char.IsWhiteSpace(text[runEnd])) runEnd++;
        if (runEnd == n) return n;
        return runEnd - start >= 2 ? runEnd - 1 : runEnd;
    }

    private static CharClass Classify(ReadOnlySpan<char> text, int i, out int width)
    {
        char c = text[i];
        UnicodeCategory cat;
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            width = 2;
            cat = Rune.GetUnicodeCategory(new Rune(c, text[i + 1]));
        }
        else
        {
            width = 1;
            if (char.IsWhiteSpace(c)) return CharClass.Space;
            cat = char.GetUnicodeCategory(c);
        }
        return cat switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }
}
