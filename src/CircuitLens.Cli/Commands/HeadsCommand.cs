// `circuitlens heads detect`: previous-token, duplicate-token and induction scores per head (and, with
// --pairs, the IOI role detectors); writes <detector>.npy, scores.json and heatmaps.
using System.CommandLine;
using CircuitLens.Tasks.Circuits;

namespace CircuitLens.Cli.Commands;

internal static class HeadsCommand
{
    public static Command Create()
    {
        var heads = new Command("heads", "Per-head analyses.");
        var model = new ModelOptions();
        var device = new DeviceOptions();
        var n = new Option<int>("--n") { Description = "Random token blocks.", DefaultValueFactory = _ => 20 };
        var length = new Option<int>("--length") { Description = "Tokens per block (each sequence is the block twice).", DefaultValueFactory = _ => 25 };
        var seed = new Option<int>("--seed") { Description = "Seed of the random blocks.", DefaultValueFactory = _ => 0 };
        var pairs = new Option<string?>("--pairs") { Description = "Logit-diff pair file (IO = answer, S = wrong): adds end→IO, end→S and copy-score detectors." };
        var output = new Option<string>("--out", "-o") { Description = "Output directory.", Required = true }.OutputDirectory();
        var noPlots = new Option<bool>("--no-plots") { Description = "Skip the SVG/PNG heatmaps." };
        var detect = new Command("detect", "Head detectors (TransformerLens head_detector, error measure \"mul\"): previous-token, duplicate-token, induction.")
            { n, length, seed, pairs, output, noPlots };
        model.AddTo(detect);
        device.AddTo(detect);
        detect.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            var m = device.Apply(r, model.Load(r, ct));
            string outDir = r.GetValue(output)!;
            var maps = HeadsDetectTask.Run(m, new HeadsDetectOptions
            {
                N = r.GetValue(n), Length = r.GetValue(length), Seed = r.GetValue(seed), PrependBos = model.PrependBos(r),
                PairsPath = r.GetValue(pairs), Plots = !r.GetValue(noPlots),
            }, outDir);
            foreach (var (name, t) in maps)
            {
                int best = Enumerable.Range(0, t.Length).MaxBy(i => t.Data[i]);
                Console.Out.WriteLine($"{name}\ttop head {best / t.Dim(1)}.{best % t.Dim(1)}\t{t.Data[best]:F3}");
            }
            Console.Out.WriteLine(Path.GetFullPath(outDir));
            return ExitCodes.Ok;
        })));
        heads.Subcommands.Add(detect);
        return heads;
    }
}
