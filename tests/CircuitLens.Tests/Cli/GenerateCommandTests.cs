// `circuitlens generate` end to end: greedy continuation equals taking the argmax of the library's
// forward pass token by token, and the prompt is echoed first.
using CircuitLens.Model;
using CircuitLens.Tests.Model;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class GenerateCommandTests
{
    private static string GreedyWithLibrary(string prompt, int newTokens, bool bos)
    {
        var model = TinyGpt2.Model;
        var tokens = model.ToTokens(prompt, bos).ToList();
        for (int i = 0; i < newTokens; i++)
        {
            var logits = model.Forward(TokenBatch.Single(tokens.ToArray()), LogitsMode.All);
            tokens.Add(TensorPrimitives.IndexOfMax(logits.Slice(0, tokens.Count - 1)));
        }
        return model.ToText(tokens.Skip(bos ? 1 : 0).ToArray());
    }

    [Fact]
    public void GreedyContinuationEqualsRepeatedArgmax()
    {
        var result = CliRunner.Ok("generate", "--model", CliFixture.Model, "--prompt", "Hello", "--max-new-tokens", "5");
        string text = result.Stdout.TrimEnd('\n', '\r');
        Assert.StartsWith("Hello", text);
        Assert.Equal(GreedyWithLibrary("Hello", 5, bos: true), text);
        Assert.Contains("generated 5 tokens", result.Stderr);
    }

    [Fact]
    public void NoBosChangesTheInputNotTheEcho()
    {
        var result = CliRunner.Ok("generate", "--model", CliFixture.Model, "--prompt", CliFixture.Prompt0, "--max-new-tokens", "3", "--no-bos");
        Assert.Equal(GreedyWithLibrary(CliFixture.Prompt0, 3, bos: false), result.Stdout.TrimEnd('\n', '\r'));
    }

    [Fact]
    public void SamplingIsReproducibleWithASeed()
    {
        string[] args = ["generate", "--model", CliFixture.Model, "--prompt", "Hello", "--max-new-tokens", "6", "--temperature", "1", "--top-k", "50", "--seed", "7"];
        Assert.Equal(CliRunner.Ok(args).Stdout, CliRunner.Ok(args).Stdout);
    }

    [Fact]
    public void NegativeTemperatureIsAUserError()
    {
        CliRunner.AssertUserError(CliRunner.Run("generate", "--model", CliFixture.Model, "--prompt", "Hello", "--temperature", "-1"), "--temperature");
    }
}
