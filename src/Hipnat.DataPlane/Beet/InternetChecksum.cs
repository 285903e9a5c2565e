using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        if (Vector256.IsHardwareAccelerated && data.Length >= 64)
        {
            // RFC 1071 §2 (B): the sum does not depend on byte order — add the words as they lie in memory, 32 octets
            // at a time, then swap the folded result. 64-bit lanes take two 32-bit halves each: no carry is lost below
            // 2^31 iterations.
            var acc = Vector256<ulong>.Zero;
            var low = Vector256.Create(0xFFFF_FFFFUL);
            ref byte start = ref MemoryMarshal.GetReference(data);
            for (; i + 32 <= data.Length; i += 32)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt64();
                acc += Vector256.ShiftRightLogical(v, 32) + (v & low);
            }

            ulong native = Vector256.Sum(acc);
            ushort folded = Fold(native);
            sum += BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
        }

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
