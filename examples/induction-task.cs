// Adding your own task: a dataset plus a metric choice, nothing in the engines. The task here is
// induction: a random block of word tokens repeated twice; at the second copy the next token is the
// one after the current token's earlier occurrence. Each row is a pair-file row in token ids with the
// logit-diff metric (answer = that token, wrong = the token a corrupted first copy puts there); the
// same rows could be written to a .jsonl file and run with `circuitlens patch --pairs F`.
// Usage: dotnet run examples/induction-task.cs [-- MODEL [N]]  (default gpt2, 8 rows)
#:project ../src/CircuitLens/CircuitLens.csproj
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Pairs;

var model = HookedTransformer.FromPretrained(args.Length > 0 ? args[0] : "gpt2");
int n = args.Length > 1 ? int.Parse(args[1]) : 8, length = 10;

// 1. the dataset: word tokens (" the"-like ids) drawn without repeats, the block, then its first k+1 tokens again
var words = Enumerable.Range(1000, 9000).Where(id => model.Tokenizer.TokenToString(id) is [' ', _, _, ..] s && s[1..].All(char.IsAsciiLetter)).ToArray();
var rng = new Random(0);
var rows = new List<PairRow>();
for (int i = 0; i < n; i++)
{
    var ids = words.OrderBy(_ => rng.Next()).Take(length + 1).ToArray();   // a block of `length` plus one spare token
    int k = rng.Next(1, length - 1);
    int[] clean = [.. ids[..length], .. ids[..(k + 1)]];                     // next token: ids[k + 1]
    int[] corrupt = (int[])clean.Clone();
    corrupt[k + 1] = ids[length];                                         // the first copy now implies the spare token
    // 2. the metric choice: logit-diff between the induction answer and what the corrupted copy implies
    var row = new JsonObject
    {
        ["clean_ids"] = new JsonArray(clean.Select(x => (JsonNode)x).ToArray()),
        ["corrupt_ids"] = new JsonArray(corrupt.Select(x => (JsonNode)x).ToArray()),
        ["metric"] = "logit-diff", ["answer_id"] = ids[k + 1], ["wrong_id"] = ids[length],
    };
    rows.Add(PairFile.FromJson(row, $"row {i + 1}"));
}

// 3. the engines as they are: tokenize (BOS added), patch every head's z, rank the heads
var batch = new PairSet("induction", rows).Tokenize(model, prependBos: true).ToPatchingBatch();
var result = FastActivationPatching.Run(model, batch, Sweep.HeadZ);
var map = result.NormalizedMean();
Console.WriteLine($"{n} rows; mean logit diff clean {result.CleanMetric.Average():F3}, corrupted {result.CorruptMetric.Average():F3}");
Console.WriteLine("heads that carry the induction answer (normalised head-z patching):");
foreach (var (name, score) in Enumerable.Range(0, map.Length).Select(i => ($"{i / map.Dim(1)}.{i % map.Dim(1)}", map.Data[i])).OrderByDescending(h => h.Item2).Take(5))
    Console.WriteLine($"  {name}: {score:F3}");
