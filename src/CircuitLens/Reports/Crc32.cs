// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as PNG chunks require. Hand-written:
// System.IO.Hashing is not among this project's packages and one table-driven loop is enough.
namespace CircuitLens.Reports;

internal static class Crc32
{
    static readonly uint[] Table = BuildTable();

    /// <summary>Continue a running CRC; start with 0. Compute(Compute(0, a), b) == Compute(0, a+b).</summary>
    public static uint Compute(uint crc, ReadOnlySpan<byte> data)
    {
        crc = ~crc;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }
}
