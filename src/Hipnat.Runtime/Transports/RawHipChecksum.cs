using System.Buffers.Binary;
using System.Net;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// The HIP header checksum for HIP carried directly over IP (RFC 7401 §5.1.1): the Internet checksum
/// (RFC 1071) over an IPv4 or IPv6 pseudo-header with protocol 139, followed by the HIP packet with its
/// checksum field (octets 4-5) taken as zero. Addresses are 4 octets (IPv4) or 16 octets (IPv6).
/// </summary>
internal static class RawHipChecksum
{
    public const int ProtocolNumber = 139;

    /// <summary>Offset of the checksum field in the HIP header.</summary>
    public const int FieldOffset = 4;

    public static ushort Compute(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        if (source.Length != destination.Length || (source.Length != 4 && source.Length != 16))
        {
            throw new ArgumentException("pseudo-header addresses must both be IPv4 or both IPv6", nameof(destination));
        }

        ulong sum = SumWords(source) + SumWords(destination) + ProtocolNumber;
        if (source.Length == 4)
        {
            sum += (uint)(packet.Length & 0xFFFF);
        }
        else
        {
            sum += ((uint)packet.Length >> 16) + ((uint)packet.Length & 0xFFFF);
        }

        sum += SumWords(packet[..Math.Min(FieldOffset, packet.Length)]);
        if (packet.Length > FieldOffset + 2)
        {
            sum += SumWords(packet[(FieldOffset + 2)..]);
        }

        return (ushort)~Fold(sum);
    }

    public static ushort Compute(ReadOnlySpan<byte> packet, IPAddress source, IPAddress destination)
    {
        Span<byte> s = stackalloc byte[16];
        Span<byte> d = stackalloc byte[16];
        source.TryWriteBytes(s, out int sn);
        destination.TryWriteBytes(d, out int dn);
        return Compute(packet, s[..sn], d[..dn]);
    }

    /// <summary>Writes the checksum into the packet's checksum field.</summary>
    public static void Fill(Span<byte> packet, IPAddress source, IPAddress destination) =>
        BinaryPrimitives.WriteUInt16BigEndian(packet[FieldOffset..], Compute(packet, source, destination));

    /// <summary>True when the packet's checksum field matches the pseudo-header and content.</summary>
    public static bool Verify(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination) =>
        packet.Length >= FieldOffset + 2
        && BinaryPrimitives.ReadUInt16BigEndian(packet[FieldOffset..]) == Compute(packet, source, destination);

    public static bool Verify(ReadOnlySpan<byte> packet, IPAddress source, IPAddress destination)
    {
        Span<byte> s = stackalloc byte[16];
        Span<byte> d = stackalloc byte[16];
        source.TryWriteBytes(s, out int sn);
        destination.TryWriteBytes(d, out int dn);
        return Verify(packet, s[..sn], d[..dn]);
    }

    /// <summary>Sum of big-endian 16-bit words; an odd final octet is padded with zero.</summary>
    private static ulong SumWords(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        return sum;
    }

    private static ushort Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }
}
