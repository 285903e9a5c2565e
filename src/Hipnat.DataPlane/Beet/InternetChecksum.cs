using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Hipnat.DataPlane.Beet;

/// <summary>
/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit big-endian words,
/// computed as a running sum that can span several pieces (pseudo-header, then the segment).
/// </summary>
public static class InternetChecksum
{
    /// <summary>
    /// Adds <paramref name="data"/> to a running sum. Every piece except the last must have an even length, so the
    /// words stay aligned; an odd last octet is the high half of a word padded with zero (RFC 1071 §4.1).
    /// </summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // RFC 1071 §2 (C): sums of wider big-endian words fold to the same 16-bit result.
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            ulong x = BinaryPrimitives.ReadUInt64BigEndian(data[i..]);
            sum += (x >> 32) + (x & 0xFFFF_FFFF);
        }

        for (; i + 2 <= data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    /// <summary>Adds one 16-bit word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Add(ulong sum, ushort word) => sum + word;

    /// <summary>Folds a running sum to 16 bits with end-around carries (RFC 1071 §4.1), not complemented.</summary>
    public static ushort Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }

    /// <summary>The checksum to store: the complement of the folded sum.</summary>
    public static ushort Finish(ulong sum) => (ushort)~Fold(sum);

    /// <summary>Checksum of one buffer.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));
}
