// prob-diff: Σ softmax(logits) over the answer tokens − Σ over the wrong tokens at the last position
// (greater-than's metric). The normaliser runs over the whole vocabulary, so the logits of the rows
// asked for are one GEMM against the packed unembedding, in blocks of rows to bound memory.
// Gradient: ∂M/∂logit_j = p_j·(s_j − M), s_j = +1 for answers, −1 for wrong tokens, 0 otherwise;
// back through the unembedding (a GEMM with wte) and ln_f.
using System.Buffers;
using CircuitLens.Model;
using CircuitLens.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CircuitLens.Patching.Metrics;

public sealed class ProbDiffMetric : PatchingMetric
{
    public const string MetricName = "prob-diff";
    private const int BlockRows = 64;   // logit rows held at once: 64 × 50257 floats ≈ 13 MB

    public ProbDiffMetric(IReadOnlyList<int[]> answers, IReadOnlyList<int[]> wrong) : this(new MetricTargets(answers, wrong)) { }

    public ProbDiffMetric(MetricTargets targets) : base(targets)
    {
        for (int i = 0; i < targets.Count; i++)
        {
            var a = targets.Answers[i]; var w = targets.Wrong[i];
            Require(a.Length + w.Length > 0, i, $"{MetricName} needs at least one answer or wrong token");
            Require(a.Distinct().Count() == a.Length, i, "an answer token is listed twice");
            Require(w.Distinct().Count() == w.Length, i, "a wrong token is listed twice");
            Require(!a.Intersect(w).Any(), i, $"token id {a.Intersect(w).FirstOrDefault()} is both an answer and a wrong answer");
        }
    }

    public override string Name => MetricName;
    public override string Description => "sum of softmax probabilities over the answer tokens - sum over the wrong tokens, last position";

    public override void Evaluate(Gpt2Weights weights, ReadOnlySpan<int> pairs, ReadOnlySpan<float> rows, Span<float> values)
    {
        int C = weights.Config.DModel, V = weights.Config.VocabSize;
        // pooled: the fast engine calls this once per group of variants; a fresh 13 MB array each time would churn the large-object heap
        var logits = ArrayPool<float>.Shared.Rent(Math.Min(BlockRows, pairs.Length) * V);
        try
        {
            for (int start = 0; start < pairs.Length; start += BlockRows)
            {
                int n = Math.Min(BlockRows, pairs.Length - start);
                Unembed(weights, rows.Slice(start * C, n * C), logits, n);
                EvaluateLogits(pairs.Slice(start, n), logits, V, values.Slice(start, n));
            }
        }
        finally { ArrayPool<float>.Shared.Return(logits); }
    }

    public override void Gradient(Gpt2Weights weights, ReadOnlySpan<int> pairs, ReadOnlySpan<float> rows, Span<float> gradients)
    {
        int C = weights.Config.DModel, V = weights.Config.VocabSize;
        var logits = new float[Math.Min(BlockRows, pairs.Length) * V];
        var dNormalized = new float[Math.Min(BlockRows, pairs.Length) * C];
        var wte = weights.Read(weights.TokenEmbedding);
        for (int start = 0; start < pairs.Length; start += BlockRows)
        {
            int n = Math.Min(BlockRows, pairs.Length - start);
            Unembed(weights, rows.Slice(start * C, n * C), logits, n);
            for (int i = 0; i < n; i++)
            {
                var row = logits.AsSpan(i * V, V);            // logits in, ∂M/∂logits out
                int b = pairs[start + i];
                int[] answers = Targets.Answers[b], wrong = Targets.Wrong[b];
                float m = Softmax(row, answers, wrong);
                // p_j·(s_j − M): every p scaled by −M, then + p_a at the answers and − p_w at the wrong tokens
                var pAnswers = new float[answers.Length]; var pWrong = new float[wrong.Length];
                for (int k = 0; k < answers.Length; k++) pAnswers[k] = row[answers[k]];
                for (int k = 0; k < wrong.Length; k++) pWrong[k] = row[wrong[k]];
                TensorPrimitives.Multiply(row, -m, row);
                for (int k = 0; k < answers.Length; k++) row[answers[k]] += pAnswers[k];
                for (int k = 0; k < wrong.Length; k++) row[wrong[k]] -= pWrong[k];
            }
            Gemm.MatMul(dNormalized, logits, wte, n, V, C);   // d ln_f(x) (n,C) = dlogits (n,V) · wte (V,C)
            FinalLayerNorm.Backward(weights, rows.Slice(start * C, n * C), dNormalized, gradients.Slice(start * C, n * C), n);
        }
    }

    public override void EvaluateLogits(ReadOnlySpan<int> pairs, ReadOnlySpan<float> logits, int vocabSize, Span<float> values)
    {
        // rows are independent: both cores share them (the GEMM before this is parallel; this loop was half the overhead)
        int n = pairs.Length;
        var ids = pairs.ToArray();
        var result = new float[n];
        unsafe
        {
            fixed (float* pLogits = logits)
            {
                float* basePtr = pLogits;
                Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Gemm.MaxThreads) },
                    () => ArrayPool<float>.Shared.Rent(vocabSize),
                    (i, _, scratch) =>
                    {
                        var row = new ReadOnlySpan<float>(basePtr + (long)i * vocabSize, vocabSize);
                        result[i] = Difference(row, scratch.AsSpan(0, vocabSize), Targets.Answers[ids[i]], Targets.Wrong[ids[i]]);
                        return scratch;
                    },
                    scratch => ArrayPool<float>.Shared.Return(scratch));
            }
        }
        result.CopyTo(values);
    }

    // Σ p[answers] − Σ p[wrong] of softmax(row) without writing the probabilities: exp(x − max) into scratch, one sum
    private static float Difference(ReadOnlySpan<float> row, Span<float> scratch, int[] answers, int[] wrong)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, scratch);
        TensorPrimitives.Exp(scratch, scratch);
        double total = TensorPrimitives.Sum(scratch), m = 0;
        foreach (int a in answers) m += scratch[a];
        foreach (int w in wrong) m -= scratch[w];
        return (float)(m / total);
    }

    // ln_f and the unembedding of n rows: logits (n,V) = ln_f(rows)·wteᵀ
    private static void Unembed(Gpt2Weights weights, ReadOnlySpan<float> rows, Span<float> logits, int n)
    {
        var normalized = new float[n * weights.Config.DModel];
        FinalLayerNorm.Forward(weights, rows, normalized, n);
        Gemm.MatMul(logits.Slice(0, n * weights.Config.VocabSize), normalized, weights.PackedTransposed(weights.TokenEmbedding), n);
    }

    // row: logits in, softmax probabilities out; returns Σ p[answers] − Σ p[wrong]
    private static float Softmax(Span<float> row, int[] answers, int[] wrong)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row);
        double m = 0;
        foreach (int a in answers) m += row[a];
        foreach (int w in wrong) m -= row[w];
        return (float)m;
    }
}
