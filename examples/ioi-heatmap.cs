// The README's ten-line example as a script: run a prompt with a cache, zero-ablate layer 9's heads
// with a hook, and patch every head's output on one IOI pair; prints the head map and writes it as
// ioi-heatmap.png. Usage: dotnet run examples/ioi-heatmap.cs [-- MODEL [OUT_DIR]]  (MODEL: hub id or directory, default gpt2)
#:project ../src/CircuitLens/CircuitLens.csproj
using CircuitLens.Hooks; using CircuitLens.Model; using CircuitLens.Patching; using CircuitLens.Reports; using CircuitLens.Tensors;

var model = HookedTransformer.FromPretrained(args.Length > 0 ? args[0] : "gpt2");  // hub id or directory
int layer = Math.Min(9, model.Config.NLayers - 1);                              // layer 9 of GPT-2 small; the last of smaller models
var tokens = TokenBatch.Single(model.ToTokens("When John and Mary went to the shops, John gave the bag to"));
var (result, cache) = model.RunWithCache(tokens, name => name.EndsWith("attn.hook_z"));
Tensor z = cache[$"blocks.{layer}.attn.hook_z"];                                 // [batch, pos, head, d_head]
var ablated = model.RunWithHooks(tokens, [new NamedHook($"blocks.{layer}.attn.hook_z", (act, ctx) => act.Span.Clear())]);
var pairs = new PatchingBatch([model.ToTokens("When John and Mary went to the shops, Mary gave the bag to")],
    [model.ToTokens("When John and Mary went to the shops, John gave the bag to")],
    [model.Tokenizer.TokenId(" John")], [model.Tokenizer.TokenId(" Mary")]);
Tensor map = FastActivationPatching.Run(model, pairs, Sweep.HeadZ).NormalizedMean();  // [layer, head]; 1 = restores

Console.WriteLine($"hook_z of layer {layer}: [{string.Join(", ", z.Shape)}]; {cache.Count} activations cached");
Console.WriteLine("normalised head-z patching map (rows: layers, columns: heads):");
for (int l = 0; l < map.Dim(0); l++)
    Console.WriteLine($"{l,3}: " + string.Join(" ", Enumerable.Range(0, map.Dim(1)).Select(h => $"{map[l, h],6:F2}")));
string png = Path.Combine(args.Length > 1 ? args[1] : ".", "ioi-heatmap.png");
ReportFiles.WriteAtomic(png, HeatmapPng.Render(Heatmap.LayerHead("head-z patching, one IOI pair", PatchingFigures.To2D(map))));
Console.WriteLine($"wrote {png}");
