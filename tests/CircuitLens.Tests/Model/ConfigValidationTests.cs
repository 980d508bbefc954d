// config.json as a user may hand it over (issue 11, items 5 and 6): every wrong type or value is one
// CircuitLensException naming the field, never an internal error; a UTF-8 byte-order mark is accepted;
// layer_norm_epsilon must be a positive number.
using System.Text;
using CircuitLens.Model;
using CircuitLens.Tests.IO;

namespace CircuitLens.Tests.Model;

public class ConfigValidationTests
{
    private const string Valid =
        """{"model_type":"gpt2","n_layer":2,"n_head":4,"n_embd":64,"n_positions":128,"n_ctx":128,"vocab_size":50257,"n_inner":null,"activation_function":"gelu_new","layer_norm_epsilon":1e-05}""";

    private static Gpt2Config Load(string json, bool bom = false)
    {
        using var tmp = new TempDir();
        string path = tmp.File("config.json");
        var bytes = Encoding.UTF8.GetBytes(json);
        File.WriteAllBytes(path, bom ? [0xEF, 0xBB, 0xBF, .. bytes] : bytes);
        return Gpt2Config.FromJsonFile(path);
    }

    private static string With(string field, string rawValue)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Valid)!.AsObject();
        node[field] = System.Text.Json.Nodes.JsonNode.Parse(rawValue);
        return node.ToJsonString();
    }

    [Fact]
    public void ValidConfigLoadsAndAByteOrderMarkIsAccepted()
    {
        var config = Load(Valid, bom: true);
        Assert.Equal(2, config.NLayers);
        Assert.Equal(128, config.NCtx);
        Assert.Equal(256, config.DMlp); // n_inner null: 4·n_embd, as Hugging Face does
        Assert.Equal(config, Load(Valid));
    }

    [Theory]
    [InlineData("n_ctx", "-5")]
    [InlineData("n_ctx", "1.5")]
    [InlineData("n_ctx", "1e20")]
    [InlineData("n_ctx", "\"128\"")]
    [InlineData("n_positions", "0")]
    [InlineData("n_positions", "1e20")]
    [InlineData("n_layer", "2.0")]
    [InlineData("n_layer", "true")]
    [InlineData("n_head", "[4]")]
    [InlineData("n_embd", "-64")]
    [InlineData("vocab_size", "99999999999")]
    [InlineData("n_inner", "-1")]
    [InlineData("n_inner", "1.5")]
    [InlineData("n_inner", "\"big\"")]
    [InlineData("model_type", "123")]
    [InlineData("model_type", "\"llama\"")]
    [InlineData("activation_function", "5")]
    [InlineData("activation_function", "\"relu\"")]
    [InlineData("layer_norm_epsilon", "-1")]
    [InlineData("layer_norm_epsilon", "0")]
    [InlineData("layer_norm_epsilon", "1e300")]
    [InlineData("layer_norm_epsilon", "\"1e-5\"")]
    public void WrongTypeOrValueNamesTheField(string field, string rawValue)
    {
        var e = Assert.Throws<CircuitLensException>(() => Load(With(field, rawValue)));
        Assert.Contains($"'{field}'", e.Message);
        Assert.Contains("config.json", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("[1,2,3]", "array")]
    [InlineData("\"gpt2\"", "string")]
    [InlineData("null", "null")]
    [InlineData("42", "number")]
    [InlineData("{\"n_layer\":2", "invalid JSON")]
    [InlineData("", "invalid JSON")]
    public void ConfigThatIsNotAnObjectIsOneLine(string json, string expected)
    {
        var e = Assert.Throws<CircuitLensException>(() => Load(json));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingRequiredFieldIsNamed()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Valid)!.AsObject();
        node.Remove("n_head");
        var e = Assert.Throws<CircuitLensException>(() => Load(node.ToJsonString()));
        Assert.Contains("missing field 'n_head'", e.Message);
    }

    [Fact]
    public void ConfigTooLargeForOneParameterBufferIsRefusedBeforeAllocating()
    {
        var e = Assert.Throws<CircuitLensException>(() => Load(With("n_positions", "2000000000")));
        Assert.Contains("parameters", e.Message);
    }

    [Fact]
    public void InvalidUtf8IsOneLine()
    {
        using var tmp = new TempDir();
        string path = tmp.File("config.json");
        File.WriteAllBytes(path, [.. "{\"model_type\":\"gpt"u8, 0xff, .. "\"}"u8]);
        var e = Assert.Throws<CircuitLensException>(() => Gpt2Config.FromJsonFile(path));
        Assert.Contains(path, e.Message);
    }
}
