// `circuitlens generate`: greedy (or sampled) continuation of a prompt, for sanity-checking a model.
// Prints the prompt and its continuation on stdout.
using System.CommandLine;
using CircuitLens.Model;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Cli.Commands;

internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text.", Required = true };
        var maxNew = new Option<int>("--max-new-tokens", "-n") { Description = "How many tokens to generate.", DefaultValueFactory = _ => 20 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy (default); > 0 samples from softmax(logits / T).", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "Sample only among the K most likely tokens (0 = all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Random seed for sampling.", DefaultValueFactory = _ => 0 };
        var stopAtEos = new Option<bool>("--stop-at-eos") { Description = "Stop when <|endoftext|> is generated." };
        var command = new Command("generate", "Continue a prompt token by token (greedy by default).") { prompt, maxNew, temperature, topK, seed, stopAtEos };
        model.AddTo(command);
        var device = new DeviceOptions();
        device.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            int n = r.GetValue(maxNew), k = r.GetValue(topK);
            float temp = r.GetValue(temperature);
            if (n < 0) throw new CircuitLensException("--max-new-tokens must be ≥ 0");
            if (temp < 0) throw new CircuitLensException("--temperature must be ≥ 0");
            if (k < 0) throw new CircuitLensException("--top-k must be ≥ 0");
            var m = device.Apply(r, model.Load(r));
            bool bos = model.PrependBos(r);
            var tokens = m.ToTokens(r.GetValue(prompt)!, bos).ToList();
            if (tokens.Count == 0) throw new CircuitLensException("--prompt is empty (no tokens)");
            if (tokens.Count > m.Config.NCtx) throw new CircuitLensException($"--prompt is {tokens.Count} tokens, longer than the model's context (n_ctx {m.Config.NCtx})");
            int promptLength = tokens.Count;
            var rng = new Random(r.GetValue(seed));
            for (int i = 0; i < n && tokens.Count < m.Config.NCtx; i++)
            {
                var logits = m.Forward(TokenBatch.Single(tokens.ToArray()), LogitsMode.LastPosition).Slice(0, 0);
                NonFiniteMetric.CheckLogits(m, logits, [.. tokens]);
                int next = temp == 0 ? TensorPrimitives.IndexOfMax(logits) : Sample(logits, temp, k, rng);
                tokens.Add(next);
                if (r.GetValue(stopAtEos) && next == Tokenization.Gpt2Tokenizer.EndOfTextId) break;
            }
            var text = tokens.Skip(bos ? 1 : 0).ToArray();
            Console.Out.WriteLine(m.ToText(text));
            int generated = tokens.Count - promptLength;
            Cli.Stderr.Info(generated < n && tokens.Count >= m.Config.NCtx
                ? $"generated {generated} of {n} tokens: stopped at the model's context length (n_ctx {m.Config.NCtx} tokens, prompt {promptLength})"
                : $"generated {generated} tokens");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static int Sample(ReadOnlySpan<float> logits, float temperature, int topK, Random rng)
    {
        var scaled = new float[logits.Length];
        TensorPrimitives.Divide(logits, temperature, scaled);
        if (topK > 0 && topK < scaled.Length)
        {
            var sorted = (float[])scaled.Clone();
            Array.Sort(sorted);
            float threshold = sorted[^topK];
            for (int i = 0; i < scaled.Length; i++) if (scaled[i] < threshold) scaled[i] = float.NegativeInfinity;
        }
        var probs = new float[scaled.Length];
        TensorPrimitives.SoftMax(scaled, probs);
        double u = rng.NextDouble(), acc = 0;
        for (int i = 0; i < probs.Length; i++) { acc += probs[i]; if (u < acc) return i; }
        return TensorPrimitives.IndexOfMax(probs);
    }
}
