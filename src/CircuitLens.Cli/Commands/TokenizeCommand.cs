// `circuitlens tokenize`: how a model's tokenizer splits a prompt, TransformerLens' to_str_tokens as a
// TSV (index, id, token as a JSON string so spaces and newlines stay visible), or the ids as one JSON
// array with --json. BOS (<|endoftext|>) is prepended unless --no-bos, as in every other command.
// Only the tokenizer is loaded (the model directory's own files, else the standard GPT-2 vocabulary).
using System.CommandLine;
using System.Text.Json;
using CircuitLens.Model.Hub;
using CircuitLens.Tokenization;

namespace CircuitLens.Cli.Commands;

internal static class TokenizeCommand
{
    // "<|endoftext|>" rather than "\u003C|endoftext|\u003E": the TSV is read by people; tabs, newlines and quotes stay escaped.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var model = new ModelOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the token ids as one JSON array instead of the TSV." };
        var command = new Command("tokenize", "Print a prompt's tokens (TSV: index, id, token) or their ids (--json).") { prompt, json };
        model.AddTo(command);
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            string dir = ModelLocator.Resolve(r.GetValue(model.Model)!, HubOptions.FromEnvironment(r.GetValue(model.Offline)), ct);
            var tokenizer = Gpt2Tokenizer.FromModelDirectory(dir);
            int[] ids = tokenizer.Encode(r.GetValue(prompt)!);
            if (model.PrependBos(r))
            {
                if (tokenizer.EndOfTextTokenId < 0)
                    throw new CircuitLensException($"the tokenizer of {dir} has no {Gpt2Tokenizer.EndOfText} to prepend; use --no-bos");
                ids = [tokenizer.EndOfTextTokenId, .. ids];
            }
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(ids));
                return ExitCodes.Ok;
            }
            Console.Out.WriteLine("index\tid\ttoken");
            for (int i = 0; i < ids.Length; i++)
                Console.Out.WriteLine($"{i}\t{ids[i]}\t{JsonSerializer.Serialize(tokenizer.TokenToString(ids[i]), Readable)}");
            return ExitCodes.Ok;
        })));
        return command;
    }
}
