// `circuitlens cache`: runs one prompt and saves activations, one `<hook name>.npy` per hook with the
// batch dimension dropped (optionally all in one safetensors file), for analysis in Python.
using System.CommandLine;
using System.Text.RegularExpressions;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Cli.Commands;

internal static class CacheCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text.", Required = true };
        var names = new Option<string?>("--names") { Description = "Regular expression; only hook names it matches are saved (e.g. 'attn.hook_(z|pattern)$'). Default: all." };
        var output = new Option<string>("--out", "-o") { Description = "Output directory for <hook name>.npy files.", Required = true }.OutputDirectory();
        var safetensors = new Option<string?>("--safetensors") { Description = "Also write every activation into this one safetensors file." }.OutputFile();
        var command = new Command("cache", "Run a prompt and save its activations as .npy files (TransformerLens hook names).") { prompt, names, output, safetensors };
        model.AddTo(command);
        var device = new DeviceOptions();
        device.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            Regex? filter = null;
            if (r.GetValue(names) is { } pattern)
            {
                try { filter = new Regex(pattern, RegexOptions.CultureInvariant); }
                catch (ArgumentException e) { throw new CircuitLensException($"--names: invalid regular expression ({e.Message})"); }
            }
            var m = device.Apply(r, model.Load(r));
            var ids = m.ToTokens(r.GetValue(prompt)!, model.PrependBos(r));
            if (ids.Length == 0) throw new CircuitLensException("--prompt is empty (no tokens)");
            var (_, cache) = m.RunWithCache(TokenBatch.Single(ids), filter is null ? null : filter.IsMatch, new ForwardOptions { Logits = LogitsMode.None });
            if (cache.Count == 0) throw new CircuitLensException($"--names '{filter}' matches no hook name (e.g. blocks.0.attn.hook_z)");
            string dir = r.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var single = cache.Row(0);
            single.SaveNpy(dir);
            if (r.GetValue(safetensors) is { } st)
                single.SaveSafetensors(st, new Dictionary<string, string> { ["model"] = m.Config.ModelName, ["prepend_bos"] = model.PrependBos(r).ToString().ToLowerInvariant(), ["tokens"] = string.Join(",", ids) });
            Cli.Stderr.Info($"wrote {single.Count} activations for {ids.Length} tokens to {dir}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
