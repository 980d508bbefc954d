// Head detectors with TransformerLens' head_detector semantics (error measure "mul", no exclusions):
// a head's score on one sequence = Σ(pattern ⊙ detection pattern) / Σ pattern, averaged over the
// sequences. Detection patterns (lower-triangular, (T,T)) from the tokens, as TransformerLens builds them:
//   previous-token  — 1 at (i, i−1);
//   duplicate-token — 1 at (i, j), j < i, where token j equals token i;
//   induction       — the duplicate-token pattern shifted one column right: (i, j+1) for each earlier copy j.
// The sequences are usually random blocks repeated twice (BOS optional), on which induction heads light up.
using CircuitLens.Hooks;
using CircuitLens.Model;
using CircuitLens.Tensors;

namespace CircuitLens.Circuits;

public enum HeadDetector { PreviousToken, DuplicateToken, Induction }

public static class HeadDetectors
{
    public static IReadOnlyList<HeadDetector> All { get; } = [HeadDetector.PreviousToken, HeadDetector.DuplicateToken, HeadDetector.Induction];

    /// <summary>"previous_token", "duplicate_token", "induction" (the file and JSON names).</summary>
    public static string Name(HeadDetector d) => d switch
    {
        HeadDetector.PreviousToken => "previous_token",
        HeadDetector.DuplicateToken => "duplicate_token",
        _ => "induction",
    };

    /// <summary>The detection pattern (T,T) row-major for <paramref name="tokens"/>.</summary>
    public static float[] DetectionPattern(HeadDetector detector, ReadOnlySpan<int> tokens)
    {
        int T = tokens.Length;
        var p = new float[T * T];
        for (int i = 0; i < T; i++)
            for (int j = 0; j <= i; j++)
            {
                bool on = detector switch
                {
                    HeadDetector.PreviousToken => j == i - 1,
                    HeadDetector.DuplicateToken => j < i && tokens[j] == tokens[i],
                    // roll right by one, first column zeroed, then tril: the diagonal counts (tokens[i−1] == tokens[i])
                    _ => j >= 1 && tokens[j - 1] == tokens[i],
                };
                if (on) p[i * T + j] = 1;
            }
        return p;
    }

    /// <summary><paramref name="n"/> sequences: [BOS] + r + r for a random block r of <paramref name="length"/> tokens (ids below the end-of-text token).</summary>
    public static List<int[]> RepeatedRandomTokens(int n, int length, int seed, bool prependBos, int vocabSize)
    {
        if (n < 1 || length < 2) throw new CircuitLensException("detector sequences need --n ≥ 1 and --length ≥ 2");
        var rng = new Random(seed);
        int top = Math.Min(vocabSize, Tokenization.Gpt2Tokenizer.EndOfTextId);
        var result = new List<int[]>(n);
        for (int s = 0; s < n; s++)
        {
            var block = Enumerable.Range(0, length).Select(_ => rng.Next(top)).ToArray();
            result.Add(prependBos ? [Tokenization.Gpt2Tokenizer.EndOfTextId, .. block, .. block] : [.. block, .. block]);
        }
        return result;
    }

    /// <summary>Scores [layer, head] of every detector on the sequences (all the same length; one batched forward).</summary>
    public static Dictionary<HeadDetector, Tensor> Score(HookedTransformer model, IReadOnlyList<int[]> sequences, IReadOnlyList<HeadDetector>? detectors = null)
    {
        detectors ??= All;
        var cfg = model.Config;
        int L = cfg.NLayers, H = cfg.NHeads, N = sequences.Count;
        var result = detectors.ToDictionary(d => d, _ => Tensor.Zeros(L, H));
        foreach (var group in sequences.GroupBy(s => s.Length))
        {
            var seqs = group.ToList();
            int T = group.Key;
            var (_, cache) = model.RunWithCache(TokenBatch.FromSequences(seqs), n => HookNames.TryParse(n, L, out var p, out _) && p == HookPoint.Pattern,
                new ForwardOptions { Logits = LogitsMode.None });
            for (int s = 0; s < seqs.Count; s++)
            {
                var masks = detectors.Select(d => DetectionPattern(d, seqs[s])).ToList();
                for (int l = 0; l < L; l++)
                {
                    var pattern = cache[HookPoint.Pattern, l];   // (B,NH,T,T)
                    for (int h = 0; h < H; h++)
                    {
                        var a = pattern.Slice(s, h);
                        double total = System.Numerics.Tensors.TensorPrimitives.Sum(a);
                        for (int d = 0; d < detectors.Count; d++)
                            result[detectors[d]][l, h] += (float)(System.Numerics.Tensors.TensorPrimitives.Dot(a, masks[d]) / total / N);
                    }
                }
            }
        }
        return result;
    }
}
