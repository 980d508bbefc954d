// GPT-2 byte-level BPE tokenizer (r50k), identical in output to OpenAI's encoder.py and Hugging
// Face's GPT2Tokenizer: pre-tokenise (Gpt2PreTokenizer), map UTF-8 bytes to the printable byte
// alphabet, merge adjacent symbols by merge rank, look the symbols up in the vocabulary.
// Immutable after construction and thread-safe; the only shared state is a bounded per-word cache.
// It handles one special token, <|endoftext|>; it does not do padding, truncation or batching.
using System.Collections.Concurrent;
using System.Text;

namespace CircuitLens.Tokenization;

public sealed class Gpt2Tokenizer
{
    public const int EndOfTextId = 50256;
    public const string EndOfText = "<|endoftext|>";

    private const int MaxCacheEntries = 100_000;

    private static readonly Lazy<Gpt2Tokenizer> s_default = new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The standard GPT-2 vocabulary embedded in the library, loaded once on first use.</summary>
    public static Gpt2Tokenizer Default => s_default.Value;

    // Symbols are "pieces": every vocabulary token keeps its id as piece id; strings that a merge
    // produces but the vocabulary lacks (only in hand-made vocabularies) get ids >= VocabSize.
    private readonly Dictionary<string, int> _encoder;
    private readonly byte[]?[] _tokenBytes;          // vocabulary id -> the bytes it stands for
    private readonly string[] _pieceText;            // piece id -> byte-alphabet string (for errors)
    private readonly int[] _bytePiece = new int[256]; // byte -> piece id of its single character
    private readonly Dictionary<long, Merge> _merges; // (left piece, right piece) -> rank and result
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly int _endOfTextId;                // vocabulary id of <|endoftext|>, -1 if absent

    private readonly record struct Merge(int Rank, int Result);

    /// <summary>Size of the id space: largest vocabulary id + 1 (50257 for GPT-2).</summary>
    public int VocabSize { get; }

    /// <summary>Id of <|endoftext|> in this vocabulary, or -1 if the vocabulary has none.</summary>
    public int EndOfTextTokenId => _endOfTextId;

    private Gpt2Tokenizer(Dictionary<string, int> encoder, List<(string Left, string Right)> merges)
    {
        _encoder = encoder;
        int maxId = -1;
        foreach (int id in encoder.Values) maxId = Math.Max(maxId, id);
        VocabSize = maxId + 1;
        _endOfTextId = encoder.TryGetValue(EndOfText, out int eot) ? eot : -1;

        _tokenBytes = new byte[VocabSize][];
        var pieceText = new List<string>(new string[VocabSize]);
        foreach (var (token, id) in encoder)
        {
            _tokenBytes[id] ??= TokenStringToBytes(token); // on a duplicate id the first token decodes
            pieceText[id] ??= token;
        }

        var pieceIds = new Dictionary<string, int>(encoder, StringComparer.Ordinal);
        int PieceId(string s)
        {
            if (pieceIds.TryGetValue(s, out int id)) return id;
            id = pieceText.Count;
            pieceText.Add(s);
            pieceIds.Add(s, id);
            return id;
        }

        for (int b = 0; b < 256; b++) _bytePiece[b] = PieceId(ByteUnicodeTable.ByteToChar[b].ToString());
        _merges = new Dictionary<long, Merge>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            long key = PairKey(PieceId(left), PieceId(right));
            _merges.TryAdd(key, new Merge(rank, PieceId(left + right))); // a repeated pair keeps its first (best) rank
        }
        _pieceText = pieceText.ToArray();
    }

    /// <summary>Loads a tokenizer from a Hugging Face vocab.json (or encoder.json) and merges.txt (or vocab.bpe).</summary>
    public static Gpt2Tokenizer FromFiles(string vocabJsonPath, string mergesTxtPath)
    {
        ArgumentNullException.ThrowIfNull(vocabJsonPath);
        ArgumentNullException.ThrowIfNull(mergesTxtPath);
        var vocab = Gpt2VocabularyReader.ReadVocab(Gpt2VocabularyReader.ReadAllBytes(vocabJsonPath, "vocabulary"), vocabJsonPath);
        string mergesText = Gpt2VocabularyReader.DecodeUtf8(Gpt2VocabularyReader.ReadAllBytes(mergesTxtPath, "merges"), mergesTxtPath);
        return new Gpt2Tokenizer(vocab, Gpt2VocabularyReader.ReadMerges(mergesText, mergesTxtPath));
    }

    /// <summary>Tokenizer of a model folder: its vocab.json + merges.txt when both exist, else <see cref="Default"/>.</summary>
    public static Gpt2Tokenizer FromModelDirectory(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        string vocab = Path.Combine(dir, "vocab.json"), merges = Path.Combine(dir, "merges.txt");
        return File.Exists(vocab) && File.Exists(merges) ? FromFiles(vocab, merges) : Default;
    }

    private static Gpt2Tokenizer LoadEmbedded()
    {
        var vocab = Gpt2VocabularyReader.ReadVocab(ReadResource("CircuitLens.gpt2.encoder.json"), "embedded encoder.json");
        string mergesText = Gpt2VocabularyReader.DecodeUtf8(ReadResource("CircuitLens.gpt2.vocab.bpe"), "embedded vocab.bpe");
        return new Gpt2Tokenizer(vocab, Gpt2VocabularyReader.ReadMerges(mergesText, "embedded vocab.bpe"));
    }

    private static byte[] ReadResource(string name)
    {
        using Stream stream = typeof(Gpt2Tokenizer).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from {typeof(Gpt2Tokenizer).Assembly.GetName().Name}");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
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
        if (allowSpecial && _endOfTextId >= 0)
        {
            int at;
            while ((at = rest.IndexOf(EndOfText, StringComparison.Ordinal)) >= 0)
            {
                EncodeOrdinary(rest[..at], ids);
                ids.Add(_endOfTextId);
                rest = rest[(at + EndOfText.Length)..];
            }
        }
        EncodeOrdinary(rest, ids);
        return ids.ToArray();
    }

    private void EncodeOrdinary(ReadOnlySpan<char> text, List<int> ids)
    {
        var cache = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        int start = 0;
        while (start < text.Length)
        {
            int end = Gpt2PreTokenizer.NextEnd(text, start);
            ReadOnlySpan<char> word = text[start..end];
            if (!cache.TryGetValue(word, out int[]? wordIds))
            {
                wordIds = EncodeWord(word);
                if (_cache.Count >= MaxCacheEntries) _cache.Clear(); // crude bound; refills with the hot words
                cache.TryAdd(word, wordIds);
            }
            ids.AddRange(wordIds);
            start = end;
        }
    }

    // BPE on one pre-token: start from one symbol per UTF-8 byte, then repeatedly merge every
    // occurrence of the adjacent pair with the lowest rank until no pair has a rank.
    private int[] EncodeWord(ReadOnlySpan<char> word)
    {
        int byteCount = Encoding.UTF8.GetByteCount(word);
        Span<byte> bytes = byteCount <= 256 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(word, bytes);
        Span<int> symbols = byteCount <= 256 ? stackalloc int[byteCount] : new int[byteCount];
        for (int i = 0; i < byteCount; i++) symbols[i] = _bytePiece[bytes[i]];

        int count = byteCount;
        while (count > 1)
        {
            int bestRank = int.MaxValue, bestLeft = 0, bestRight = 0, bestResult = 0;
            for (int i = 0; i + 1 < count; i++)
            {
                if (_merges.TryGetValue(PairKey(symbols[i], symbols[i + 1]), out Merge m) && m.Rank < bestRank)
                {
                    bestRank = m.Rank; bestLeft = symbols[i]; bestRight = symbols[i + 1]; bestResult = m.Result;
                }
            }
            if (bestRank == int.MaxValue) break;
            int write = 0;
            for (int read = 0; read < count; read++)
            {
                if (read + 1 < count && symbols[read] == bestLeft && symbols[read + 1] == bestRight)
                {
                    symbols[write++] = bestResult;
                    read++;
                }
                else symbols[write++] = symbols[read];
            }
            count = write;
        }

        var result = new int[count];
        for (int i = 0; i < count; i++)
        {
            int piece = symbols[i];
            if (piece >= VocabSize || _tokenBytes[piece] is null)
                throw new CircuitLensException($"tokenizer: symbol \"{_pieceText[piece]}\" (from \"{word.ToString()}\") is not in the vocabulary");
            result[i] = piece;
        }
        return result;
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    // ---- decoding ----------------------------------------------------------------------------

    /// <summary>Text of a token sequence. Byte sequences that are not valid UTF-8 become U+FFFD, as in Hugging Face.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        int total = 0;
        foreach (int id in ids) total += BytesOf(id).Length;
        byte[] buffer = total <= 1024 ? new byte[total] : System.Buffers.ArrayPool<byte>.Shared.Rent(total);
        try
        {
            int at = 0;
            foreach (int id in ids)
            {
                byte[] b = _tokenBytes[id]!;
                b.CopyTo(buffer, at);
                at += b.Length;
            }
            return Encoding.UTF8.GetString(buffer, 0, total);
        }
        finally
        {
            if (total > 1024) System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decoded text of one token, e.g. " John" for 1757 (for labels).</summary>
    public string TokenToString(int id) => Encoding.UTF8.GetString(BytesOf(id));

    /// <summary>The raw UTF-8 bytes a token stands for.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => BytesOf(id);

    /// <summary>The vocabulary's own spelling of a token in the byte alphabet, e.g. "ĠJohn" for 1757.</summary>
    public string VocabToken(int id)
    {
        BytesOf(id); // validates the id
        return _pieceText[id];
    }

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

    private byte[] BytesOf(int id)
    {
        if ((uint)id >= (uint)VocabSize || _tokenBytes[id] is not { } bytes)
            throw new CircuitLensException($"token id {id} is not in the vocabulary (size {VocabSize})");
        return bytes;
    }

    // A vocabulary token is spelled in the byte alphabet; characters outside it (possible in
    // hand-made vocabularies, e.g. added tokens) stand for their own UTF-8 bytes.
    private static byte[] TokenStringToBytes(string token)
    {
        var bytes = new List<byte>(token.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune r in token.EnumerateRunes())
        {
            if (r.IsBmp && ByteUnicodeTable.TryGetByte((char)r.Value, out byte b)) bytes.Add(b);
            else bytes.AddRange(utf8[..r.EncodeToUtf8(utf8)]);
        }
        return bytes.ToArray();
    }
}
