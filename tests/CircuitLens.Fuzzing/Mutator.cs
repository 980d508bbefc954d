// Seeded byte-level mutations in the spirit of AFL's havoc stage, so CI explores beyond the committed
// corpus without AFL: bit flips, interesting bytes and integers (0, -1, 2^31, lengths ±1), byte runs
// deleted, duplicated or inserted, truncation, and splicing with another corpus input. Deterministic for a
// given seed, so a failure names the seed that reproduces it.
using System.Buffers.Binary;

namespace CircuitLens.Fuzzing;

public sealed class Mutator(int seed)
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7f, 0x80, 0xff, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']',
        (byte)',', (byte)':', (byte)'-', (byte)'0', (byte)'9', (byte)'e', (byte)'.', (byte)'\\', (byte)'\n', (byte)' ', 0xc3, 0xed];
    private static readonly long[] InterestingIntegers = [0, 1, -1, 7, 8, 255, 256, 65535, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue];

    private readonly Random _rng = new(seed);

    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> corpus)
    {
        var data = new List<byte>(input);
        int rounds = 1 << _rng.Next(0, 4);
        for (int r = 0; r < rounds; r++) MutateOnce(data, corpus);
        return [.. data];
    }

    private void MutateOnce(List<byte> data, IReadOnlyList<byte[]> corpus)
    {
        switch (_rng.Next(10))
        {
            case 0 when data.Count > 0: // flip one bit
                int bit = _rng.Next(data.Count * 8);
                data[bit / 8] ^= (byte)(1 << (bit % 8));
                break;
            case 1 when data.Count > 0: // an interesting byte
                data[_rng.Next(data.Count)] = InterestingBytes[_rng.Next(InterestingBytes.Length)];
                break;
            case 2 when data.Count >= 8: // an interesting or nudged little-endian integer (length prefixes, offsets)
            {
                int at = _rng.Next(data.Count - 7);
                var word = new byte[8];
                for (int i = 0; i < 8; i++) word[i] = data[at + i];
                long value = _rng.Next(2) == 0 ? InterestingIntegers[_rng.Next(InterestingIntegers.Length)]
                    : BinaryPrimitives.ReadInt64LittleEndian(word) + _rng.Next(-8, 9);
                BinaryPrimitives.WriteInt64LittleEndian(word, value);
                int width = _rng.Next(2) == 0 ? 4 : 8;
                for (int i = 0; i < width; i++) data[at + i] = word[i];
                break;
            }
            case 3 when data.Count > 0: // an ASCII digit string replaced: numbers in JSON and .npy headers
            {
                int at = _rng.Next(data.Count);
                string number = InterestingIntegers[_rng.Next(InterestingIntegers.Length)].ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (_rng.Next(3) == 0) number += _rng.Next(2) == 0 ? ".5" : "e30";
                int end = at;
                while (end < data.Count && data[end] is >= (byte)'0' and <= (byte)'9') end++;
                data.RemoveRange(at, end - at);
                data.InsertRange(at, System.Text.Encoding.ASCII.GetBytes(number));
                break;
            }
            case 4 when data.Count > 1: // delete a run
            {
                int at = _rng.Next(data.Count), length = Math.Min(data.Count - at, 1 + _rng.Next(Math.Max(1, data.Count / 8)));
                data.RemoveRange(at, length);
                break;
            }
            case 5 when data.Count > 0: // duplicate a run
            {
                int at = _rng.Next(data.Count), length = Math.Min(data.Count - at, 1 + _rng.Next(64));
                data.InsertRange(_rng.Next(data.Count + 1), data.GetRange(at, length));
                break;
            }
            case 6: // insert random bytes
            {
                var noise = new byte[1 + _rng.Next(16)];
                _rng.NextBytes(noise);
                data.InsertRange(_rng.Next(data.Count + 1), noise);
                break;
            }
            case 7 when data.Count > 0: // truncate
            {
                int keep = _rng.Next(data.Count);
                data.RemoveRange(keep, data.Count - keep);
                break;
            }
            case 8 when corpus.Count > 0: // splice: this input's head with another's tail
            {
                var other = corpus[_rng.Next(corpus.Count)];
                int cut = _rng.Next(data.Count + 1), from = _rng.Next(other.Length + 1);
                data.RemoveRange(cut, data.Count - cut);
                data.AddRange(other.AsSpan(from).ToArray());
                break;
            }
            default: // overwrite a byte with a random one
                if (data.Count > 0) data[_rng.Next(data.Count)] = (byte)_rng.Next(256);
                else data.Add((byte)_rng.Next(256));
                break;
        }
    }
}
