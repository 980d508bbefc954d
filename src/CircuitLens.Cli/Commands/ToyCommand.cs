// `circuitlens toy induction|ioi|ioi-backup --out DIR`: writes a GPT-2 checkpoint with a planted circuit
// (DIR/model: config.json + model.safetensors) and its truth (DIR/truth.json, also a circuit file).
using System.CommandLine;
using CircuitLens.Circuits.Toy;
using CircuitLens.Tasks.Circuits;

namespace CircuitLens.Cli.Commands;

internal static class ToyCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("kind") { Description = $"Which planted circuit: {string.Join(", ", ToyModels.Kinds)}." };
        kind.AcceptOnlyFromAmong([.. ToyModels.Kinds]);
        var seed = new Option<int>("--seed") { Description = "Seed of the random token embeddings.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o") { Description = "Output directory (model/ and truth.json).", Required = true }.OutputDirectory();
        var command = new Command("toy", "Build a GPT-2 checkpoint with a known, hand-planted circuit (a test bed for detectors, path patching, circuit checks).") { kind, seed, output };
        command.SetAction(r => Cli.Run(() =>
        {
            string outDir = r.GetValue(output)!;
            var toy = ToyTask.Run(r.GetValue(kind)!, r.GetValue(seed), outDir);
            foreach (var h in toy.Heads) Console.Out.WriteLine($"{h.Head}\t{h.Class}");
            Console.Out.WriteLine(Path.GetFullPath(outDir));
            return ExitCodes.Ok;
        }));
        return command;
    }
}
