// `circuitlens logits`: the model's next-token prediction for one prompt. stdout gets a TSV of the
// top-K tokens (rank, id, token as JSON string, logit, probability); --save writes all-position
// logits [pos, vocab] as float32 .npy.
using System.CommandLine;
using System.Text.Json;
using CircuitLens.Model;
using CircuitLens.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Cli.Commands;

internal static class LogitsCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text.", Required = true };
        var top = new Option<int>("--top", "-k") { Description = "How many top next tokens to print.", DefaultValueFactory = _ => 10 };
        var save = new Option<string?>("--save") { Description = "Write all-position logits [pos, vocab] as float32 .npy to this file." }.OutputFile();
        var command = new Command("logits", "Print the top next-token predictions for a prompt (TSV on stdout).") { prompt, top, save };
        model.AddTo(command);
        var device = new DeviceOptions();
        device.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            int k = r.GetValue(top);
            if (k < 1) throw new CircuitLensException("--top must be at least 1");
            var m = device.Apply(r, model.Load(r));
            var ids = m.ToTokens(r.GetValue(prompt)!, model.PrependBos(r));
            if (ids.Length == 0) throw new CircuitLensException("--prompt is empty (no tokens); drop --no-bos or give text");
            string? savePath = r.GetValue(save);
            var logits = m.Forward(TokenBatch.Single(ids), savePath is null ? LogitsMode.LastPosition : LogitsMode.All);
            int positions = logits.Dim(1), vocab = logits.Dim(2);
            NonFiniteMetric.CheckLogits(m, logits.Span, ids);
            if (savePath is not null) NpyFile.Write(savePath, logits.Reshape(positions, vocab));
            PrintTop(m, logits.Slice(0, positions - 1), Math.Min(k, vocab));
            if (savePath is not null) Cli.Stderr.Info($"wrote {savePath} [{positions}, {vocab}]");
            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static void PrintTop(HookedTransformer m, ReadOnlySpan<float> last, int k)
    {
        var probs = new float[last.Length];
        TensorPrimitives.SoftMax(last, probs);
        var order = Enumerable.Range(0, last.Length).ToArray();
        var keys = last.ToArray().Select(v => -v).ToArray();
        Array.Sort(keys, order);
        Console.Out.WriteLine("rank\ttoken_id\ttoken\tlogit\tprob");
        for (int i = 0; i < k; i++)
        {
            int id = order[i];
            Console.Out.WriteLine($"{i + 1}\t{id}\t{JsonSerializer.Serialize(m.Tokenizer.TokenToString(id))}\t{last[id]:G7}\t{probs[id]:G6}");
        }
    }
}
