// Path patching against the float64 reference (tiny fixture, no BOS), both engines, plus the structural
// facts: a sender whose output is cut off gives exactly the clean metric; senders at or above the
// earliest receiver's layer are NaN; the fast engine agrees with the plain one on padded batches.
using CircuitLens.Circuits;
using CircuitLens.Tensors;
using CircuitLens.Tests.Model;

namespace CircuitLens.Tests.Circuits;

public class PathPatchingTests
{
    [Theory, InlineData(false), InlineData(true)]
    public void SendersToLogitsMatchReference(bool fast)
    {
        var data = CircuitFixtures.Batch();
        var result = fast ? PathPatching.Run(TinyGpt2.Model, data, PathReceivers.Logits, maxRowsPerRun: 5)
                          : PathPatching.RunPlain(TinyGpt2.Model, data, PathReceivers.Logits);
        TensorAssert.Close(NpyFile.Read(CircuitFixtures.File("path_patch_logits.npy")), result.Patched, "path_patch_logits");
        TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("patch", "clean_logit_diff.npy")).Data, result.Clean, "clean");
    }

    [Theory, InlineData(false), InlineData(true)]
    public void SendersToHeadInputsMatchReference(bool fast)
    {
        var data = CircuitFixtures.Batch();
        var receivers = CircuitFixtures.Receivers();
        Assert.Equal(3, receivers.Heads.Count);
        var result = fast ? PathPatching.Run(TinyGpt2.Model, data, receivers, maxRowsPerRun: 9)
                          : PathPatching.RunPlain(TinyGpt2.Model, data, receivers);
        var expected = NpyFile.Read(CircuitFixtures.File("path_patch_heads.npy"));
        TensorAssert.Close(expected, result.Patched, "path_patch_heads");
        for (int b = 0; b < data.Count; b++)
            for (int h = 0; h < 4; h++)
            {
                Assert.True(float.IsNaN(result.Patched[b, 2, h]), "layer-2 senders cannot reach layer-2 receivers");
                Assert.False(float.IsNaN(result.Patched[b, 1, h]));
            }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void SenderWithNoPathGivesExactlyTheCleanMetric(bool fast)
    {
        var cut = new HeadId(1, 2);
        var model = CircuitFixtures.WithoutOutputs(cut, new HeadId(0, 3));
        var data = CircuitFixtures.Batch();
        foreach (var receivers in new[] { PathReceivers.Logits, CircuitFixtures.Receivers() })
        {
            var result = fast ? PathPatching.Run(model, data, receivers) : PathPatching.RunPlain(model, data, receivers);
            for (int b = 0; b < data.Count; b++)
            {
                Assert.Equal(result.Clean[b], result.Patched[b, 1, 2]);
                Assert.Equal(result.Clean[b], result.Patched[b, 0, 3]);
                Assert.Equal(0f, result.NormalizedPerExample()[b, 1, 2]);
                Assert.NotEqual(result.Clean[b], result.Patched[b, 1, 1]);   // a connected sender does move it
            }
        }
    }

    [Fact]
    public void FastEngineAgreesWithPlainOnARandomDeeperModel()
    {
        var cfg = TinyGpt2.Model.Config with { NLayers = 4 };
        var model = new CircuitLens.Model.HookedTransformer(CircuitLens.Model.Gpt2Weights.Random(cfg, seed: 7), TinyGpt2.Model.Tokenizer);
        var data = CircuitFixtures.Batch();
        foreach (var spec in new[] { "logits", "3.1:v,2.0:q,3.3:k", "1.2:k" })
        {
            var receivers = PathReceivers.Parse(spec, 4, 4);
            var plain = PathPatching.RunPlain(model, data, receivers);
            var fast = PathPatching.Run(model, data, receivers, maxRowsPerRun: 11);
            TensorAssert.Close(plain.Patched, fast.Patched, spec);
        }
    }

    [Theory, InlineData("prob_diff"), InlineData("logit_diff_to_max")]
    public void FastEngineAgreesWithPlainUnderOtherMetrics(string metric)
    {
        var pairs = CircuitLens.Tasks.Pairs.PairFile.Read(TinyGpt2.Expected("metrics", metric, "pairs.jsonl"));
        var data = pairs.Tokenize(TinyGpt2.Model, prependBos: false).ToPatchingBatch();
        foreach (var spec in new[] { "logits", "2.1:q,1.3:v" })
        {
            var receivers = PathReceivers.Parse(spec, 3, 4);
            var plain = PathPatching.RunPlain(TinyGpt2.Model, data, receivers);
            var fast = PathPatching.Run(TinyGpt2.Model, data, receivers);
            Assert.Equal(data.Metric.Name, fast.Metric);
            TensorAssert.Close(plain.Patched, fast.Patched, $"{metric} {spec}", atol: 1e-6, rtol: 1e-3);
            TensorAssert.Close(NpyFile.Read(TinyGpt2.Expected("metrics", metric, "clean_metric.npy")).Data, fast.Clean, "clean", atol: 1e-6, rtol: 1e-3);
        }
    }

    [Theory]
    [InlineData("9.9", "needs its input")]
    [InlineData("1.1:x", "is not q, k or v")]
    [InlineData("3.0:q", "does not exist")]
    [InlineData("a.b:q", "is not a head")]
    public void BadReceiversAreUserErrors(string spec, string message)
    {
        var e = Assert.Throws<CircuitLensException>(() => PathReceivers.Parse(spec, 3, 4));
        Assert.Contains(message, e.Message);
    }
}
