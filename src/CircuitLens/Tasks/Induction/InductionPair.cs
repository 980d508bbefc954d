// One induction row, in token ids: a random block B of L word tokens followed by its first k+1
// tokens again, so the next token is B[k+1] if the model copies from the earlier occurrence of B[k]
// (induction). The corruption replaces B[k+1] in the FIRST block by another token X, so a copying
// model would answer X instead; the metric is logit(B[k+1]) − logit(X) ("logit-diff"). The row's
// "corruption" field says so, which also tells the correctness filter to check the clean side only.
using System.Text.Json.Nodes;

namespace CircuitLens.Tasks.Induction;

/// <param name="Block">The random block B (distinct token ids).</param>
/// <param name="Prefix">k+1: how many tokens of the second copy the prompt has (1 ≤ Prefix ≤ L−1).</param>
/// <param name="Replacement">X: the token put at B[Prefix] in the corrupted first block (not in B).</param>
public sealed record InductionPair(IReadOnlyList<int> Block, int Prefix, int Replacement)
{
    public int BlockLength => Block.Count;
    public int AnswerId => Block[Prefix];
    public int WrongId => Replacement;

    /// <summary>Position (without BOS) in the first block of the token the answer is copied from.</summary>
    public int SourcePosition => Prefix;

    public int[] CleanIds => [.. Block, .. Block.Take(Prefix)];

    public int[] CorruptIds
    {
        get { var ids = CleanIds; ids[Prefix] = Replacement; return ids; }
    }

    /// <summary>The whole repeated sequence B B (for per-position loss).</summary>
    public int[] RepeatedIds => [.. Block, .. Block];

    public JsonObject ToJson() => new()
    {
        ["clean_ids"] = TaskJsonl.Ints(CleanIds),
        ["corrupt_ids"] = TaskJsonl.Ints(CorruptIds),
        ["metric"] = "logit-diff",
        ["answer_id"] = AnswerId,
        ["wrong_id"] = WrongId,
        ["block_length"] = BlockLength,
        ["source_pos"] = SourcePosition,
        ["corruption"] = "first-copy-swap",
    };

    /// <summary>Reads back a row written by <see cref="ToJson"/>; null when it lacks the fields.</summary>
    public static InductionPair? FromJson(JsonObject row)
    {
        if (row["clean_ids"] is not JsonArray clean || row["block_length"] is not JsonValue l || row["wrong_id"] is not JsonValue w) return null;
        var ids = clean.Select(x => x!.GetValue<int>()).ToArray();
        int length = l.GetValue<int>();
        if (length < 2 || ids.Length <= length) return null;
        return new InductionPair(ids[..length], ids.Length - length, w.GetValue<int>());
    }
}
