// The GPT-2 byte <-> unicode table: every byte 0..255 gets a printable character so that BPE can
// work on strings without whitespace or control characters. Printable Latin-1 bytes map to
// themselves; the other 68 bytes map, in order, to U+0100 and up. This is the same table as
// OpenAI's encoder.py bytes_to_unicode(); it does not deal with vocabularies or merges.
namespace CircuitLens.Tokenization;

internal static class ByteUnicodeTable
{
    /// <summary>Character that stands for each byte.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    // Inverse of ByteToChar; -1 for characters that stand for no byte. All mapped chars are < 0x200.
    private static readonly short[] CharToByte = BuildCharToByte();

    public static bool TryGetByte(char c, out byte b)
    {
        if (c < CharToByte.Length && CharToByte[c] >= 0)
        {
            b = (byte)CharToByte[c];
            return true;
        }
        b = 0;
        return false;
    }

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= '\u00A1' && b <= '\u00AC') || (b >= '\u00AE' && b <= '\u00FF');
            table[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return table;
    }

    private static short[] BuildCharToByte()
    {
        var inverse = new short[512];
        Array.Fill(inverse, (short)-1);
        for (int b = 0; b < 256; b++) inverse[ByteToChar[b]] = (short)b;
        return inverse;
    }
}
