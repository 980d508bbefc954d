// A custom hook: zero-ablate one attention head (its z, the output before W_O, at every position) and
// show how the IOI logit difference logit(" Mary") − logit(" John") changes.
// Usage: dotnet run examples/ablate-head.cs [-- MODEL [LAYER.HEAD]]  (default gpt2 and 9.9, a name mover)
#:project ../src/CircuitLens/CircuitLens.csproj
using CircuitLens.Hooks;
using CircuitLens.Model;

var model = HookedTransformer.FromPretrained(args.Length > 0 ? args[0] : "gpt2");
string head = args.Length > 1 ? args[1] : $"{Math.Min(9, model.Config.NLayers - 1)}.{Math.Min(9, model.Config.NHeads - 1)}";
int layer = int.Parse(head.Split('.')[0]), index = int.Parse(head.Split('.')[1]);

var tokens = TokenBatch.Single(model.ToTokens("When John and Mary went to the shops, John gave the bag to"));
int mary = model.Tokenizer.TokenId(" Mary"), john = model.Tokenizer.TokenId(" John");
float LogitDiff(ForwardResult r) { var last = r.Logits!.Slice(0, 0); return last[mary] - last[john]; }

// hook_z is [batch, pos, head, d_head]: clear head `index` at every position
var zeroHead = new NamedHook(HookNames.AttnZ(layer), (z, ctx) =>
{
    for (int b = 0; b < z.Dim(0); b++)
        for (int t = 0; t < z.Dim(1); t++) z.Slice(b, t, index).Clear();
});
var options = new ForwardOptions { Logits = LogitsMode.LastPosition };
float clean = LogitDiff(model.Run(tokens, options));
float ablated = LogitDiff(model.RunWithHooks(tokens, [zeroHead], options));
Console.WriteLine($"logit(' Mary') - logit(' John'): {clean:F4} clean, {ablated:F4} with head {layer}.{index} zero-ablated (change {ablated - clean:+0.0000;-0.0000})");
