// Regex-based validator for IOI sentence pairs with an S2-swap corruption (REFERENCE §5). Accepts a row only when
// clean has two distinct names, S twice and IO once before S2, ends right before the answer, and corrupt is clean
// with S2 replaced by IO and nothing else. With a tokenizer delegate it also checks single-token names and equal
// token lengths, and fills token positions. It does not judge whether a model solves the prompt (that is ModelFilter)
// and does not accept ABC corruptions. Instances remember accepted prompts to reject duplicates.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CircuitLens.Tasks.Ioi;
using static CircuitLens.Tasks.Filtering.FormatRejectReason;

namespace CircuitLens.Tasks.Filtering;

public sealed class FormatFilter
{
    private readonly Func<string, int[]>? _encode;
    private readonly HashSet<string> _seenClean = new(StringComparer.Ordinal);

    /// <param name="encode">GPT-2 encoder (text → token ids, no BOS); null skips the token checks and positions.</param>
    public FormatFilter(Func<string, int[]>? encode = null) => _encode = encode;

    /// <summary>Filters a whole JSONL file; blank lines are skipped, line numbers are 1-based.</summary>
    public static FormatFilterResult FilterFile(string path, Func<string, int[]>? encode = null)
    {
        if (!File.Exists(path)) throw new CircuitLensException($"input file not found: {path}");
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CircuitLensException($"cannot read {path}: {e.Message}", e);
        }
        return new FormatFilter(encode).FilterLines(lines);
    }

    /// <summary>Checks every non-blank line in order; accepted pairs keep the input order.</summary>
    public FormatFilterResult FilterLines(IEnumerable<string> lines)
    {
        var accepted = new List<IoiPair>();
        var rejected = new List<FormatRejection>();
        int lineNumber = 0;
        foreach (var line in lines)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var verdict = CheckLine(line, lineNumber);
            if (verdict.Pair is not null) accepted.Add(verdict.Pair);
            else rejected.Add(verdict.Rejection!);
        }
        return new FormatFilterResult(accepted, rejected);
    }

    /// <summary>Checks one JSON line holding at least "clean" and "corrupt"; "io", "s", "answer", "wrong" are used
    /// when present and derived otherwise, "template" is kept, any other field is ignored.</summary>
    public FormatVerdict CheckLine(string line, int lineNumber = 0)
    {
        JsonObject? obj;
        try
        {
            obj = JsonNode.Parse(line) as JsonObject;
            _ = obj?.Count; // materialises the properties now, so a duplicate key fails here
        }
        catch (Exception e) when (e is JsonException or ArgumentException) { obj = null; }
        if (obj is null) return Reject(lineNumber, line, MalformedJson, "not a JSON object");

        string? mistyped = null;
        string? Field(string name)
        {
            var node = obj[name];
            if (node is null) return null;
            if (node is JsonValue value && value.TryGetValue(out string? text)) return text;
            mistyped ??= name;
            return null;
        }
        string? clean = Field("clean"), corrupt = Field("corrupt"), io = Field("io"), s = Field("s"),
            answer = Field("answer"), wrong = Field("wrong"), template = Field("template");
        if (mistyped is not null) return Reject(lineNumber, line, MissingField, $"\"{mistyped}\" must be a string");
        if (string.IsNullOrEmpty(clean)) return Reject(lineNumber, line, MissingField, "\"clean\" is missing or empty");
        if (string.IsNullOrEmpty(corrupt)) return Reject(lineNumber, line, MissingField, "\"corrupt\" is missing or empty");
        return Check(clean, corrupt, io, s, answer, wrong, template, lineNumber, line);
    }

    /// <summary>Checks one pair given as fields; null io/s/answer/wrong are derived from clean vs corrupt.</summary>
    public FormatVerdict Check(string clean, string corrupt, string? io = null, string? s = null,
        string? answer = null, string? wrong = null, string? template = null, int lineNumber = 0, string? text = null)
    {
        text ??= clean;
        FormatVerdict Fail(string reason, string detail) => Reject(lineNumber, text, reason, detail);

        foreach (var (label, prompt) in new[] { ("clean", clean), ("corrupt", corrupt) })
        {
            if (FormatFilterPatterns.LineBreak().IsMatch(prompt)) return Fail(NotSingleLine, $"{label} contains a line break");
            if (FormatFilterPatterns.NonPrintable().Match(prompt) is { Success: true } bad)
                return Fail(NotPrintable, $"{label} contains U+{(int)bad.Value[0]:X4}");
            if (FormatFilterPatterns.TrailingWhitespace().IsMatch(prompt)) return Fail(TrailingSpace, $"{label} ends with whitespace");
            if (!FormatFilterPatterns.EndsWithLetter().IsMatch(prompt))
                return Fail(TrailingPunctuation, $"{label} ends with '{prompt[^1]}'");
        }

        // Names: explicit fields first, then answer/wrong, then the single word where clean and corrupt differ.
        var (diffIo, diffS) = NamesFromDifference(clean, corrupt);
        io ??= answer?.TrimStart(' ') ?? diffIo;
        s ??= wrong?.TrimStart(' ') ?? diffS;
        if (io is null || s is null)
            return Fail(CorruptNotS2Swap, "io/s not given, and clean and corrupt do not differ in exactly one word");
        if (!FormatFilterPatterns.CapitalisedName().IsMatch(io)) return Fail(InvalidName, $"io \"{io}\" is not a capitalised name");
        if (!FormatFilterPatterns.CapitalisedName().IsMatch(s)) return Fail(InvalidName, $"s \"{s}\" is not a capitalised name");
        if (io == s) return Fail(NamesNotDistinct, $"io and s are both \"{io}\"");

        var words = FormatFilterPatterns.Word().Matches(clean);
        string last = words[^1].Value;
        if (last == io || last == s) return Fail(TrailingAnswer, $"clean ends with the name \"{last}\"");

        var sMentions = words.Where(w => w.Value == s).ToList();
        var ioMentions = words.Where(w => w.Value == io).ToList();
        if (sMentions.Count != 2) return Fail(SNotRepeated, $"s \"{s}\" appears {sMentions.Count} time(s) in clean");
        if (ioMentions.Count != 1) return Fail(IoNotOnce, $"io \"{io}\" appears {ioMentions.Count} time(s) in clean");
        Match ioMatch = ioMentions[0], s1 = sMentions[0], s2 = sMentions[1];
        if (ioMatch.Index > s2.Index) return Fail(NameOrder, $"io \"{io}\" comes after the second \"{s}\"");

        string expectedCorrupt = string.Concat(clean.AsSpan(0, s2.Index), io, clean.AsSpan(s2.Index + s2.Length));
        if (corrupt != expectedCorrupt)
            return Fail(CorruptNotS2Swap, $"corrupt differs from clean with the second \"{s}\" replaced by \"{io}\"");
        if (answer is not null && answer != " " + io) return Fail(AnswerMismatch, $"answer \"{answer}\" is not \" {io}\"");
        if (wrong is not null && wrong != " " + s) return Fail(AnswerMismatch, $"wrong \"{wrong}\" is not \" {s}\"");

        int? ioPos = null, s1Pos = null, s2Pos = null, endPos = null;
        if (_encode is not null)
        {
            var nameToken = new Dictionary<string, int>();
            foreach (var name in new[] { io, s })
            {
                int[] ids = _encode(" " + name);
                if (ids.Length != 1) return Fail(NotSingleToken, $"\" {name}\" is {ids.Length} tokens");
                nameToken[name] = ids[0];
            }
            int[] cleanIds = _encode(clean);
            int corruptTokens = _encode(corrupt).Length;
            if (cleanIds.Length != corruptTokens)
                return Fail(LengthMismatch, $"clean has {cleanIds.Length} tokens, corrupt has {corruptTokens}");
            ioPos = TokenPosition(clean, ioMatch.Index);
            s1Pos = TokenPosition(clean, s1.Index);
            s2Pos = TokenPosition(clean, s2.Index);
            endPos = cleanIds.Length - 1;
            // Positions only mean something if each mention is the very token the metric compares (" Name").
            foreach (var (pos, name, label) in new[] { (ioPos.Value, io, "io"), (s1Pos.Value, s, "s1"), (s2Pos.Value, s, "s2") })
                if (pos >= cleanIds.Length || cleanIds[pos] != nameToken[name])
                    return Fail(NameTokenMismatch, $"{label} \"{name}\" is not tokenised as \" {name}\" in clean");
        }

        if (!_seenClean.Add(clean)) return Fail(Duplicate, "this clean prompt was already accepted");

        return new FormatVerdict(new IoiPair
        {
            Clean = clean, Corrupt = corrupt, Answer = " " + io, Wrong = " " + s,
            Template = template, Io = io, S = s, Corruption = "s2-swap",
            Pattern = s1.Index < ioMatch.Index ? "BABA" : "ABBA",
            IoPos = ioPos, S1Pos = s1Pos, S2Pos = s2Pos, EndPos = endPos,
        }, null);
    }

    /// <summary>Forgets the accepted prompts, so the same instance can filter an unrelated batch.</summary>
    public void ResetDuplicates() => _seenClean.Clear();

    // The one word where clean and corrupt differ is S2 in clean and IO in corrupt; anything else gives (null, null).
    private static (string? Io, string? S) NamesFromDifference(string clean, string corrupt)
    {
        var a = FormatFilterPatterns.Word().Matches(clean);
        var b = FormatFilterPatterns.Word().Matches(corrupt);
        if (a.Count != b.Count) return (null, null);
        int differing = -1;
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Value == b[i].Value) continue;
            if (differing >= 0) return (null, null);
            differing = i;
        }
        return differing < 0 ? (null, null) : (b[differing].Value, a[differing].Value);
    }

    // Byte-level BPE pre-tokenises " Name" as one piece, so the name's token index equals the token count of
    // the text before its leading space (GPT-2 pieces never span that boundary).
    private int TokenPosition(string clean, int nameIndex)
    {
        int cut = nameIndex > 0 && clean[nameIndex - 1] == ' ' ? nameIndex - 1 : nameIndex;
        return cut == 0 ? 0 : _encode!(clean[..cut]).Length;
    }

    private static FormatVerdict Reject(int lineNumber, string text, string reason, string detail) =>
        new(null, new FormatRejection(lineNumber, reason, detail, text));
}
