using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Hipnat.Wire.Packets;

namespace Hipnat.Wire;

/// <summary>
/// The HIP header checksum (RFC 7401 §5.1.1): the Internet checksum (one's complement of the one's complement
/// sum of 16-bit words) over a pseudo-header and the HIP packet. The pseudo-header is the IPv6 one of
/// RFC 2460 §8.1 (addresses, 32-bit length, 3 zero octets, next header 139) or the IPv4 one of RFC 768
/// (addresses, zero, protocol 139, 16-bit length); the length is the HIP packet length. IPv4-mapped IPv6
/// addresses select the IPv4 pseudo-header, since that is what travels on the wire. Over UDP the checksum is
/// zero instead (RFC 9028 §5.1); see <see cref="HipUdpFraming"/>.
/// </summary>
public static class HipChecksum
{
    /// <summary>IANA protocol number of HIP.</summary>
    public const byte ProtocolNumber = 139;

    /// <summary>Offset of the Checksum field in the HIP header.</summary>
    public const int ChecksumOffset = 4;

    /// <summary>
    /// Computes the checksum of <paramref name="packet"/> (exactly one HIP packet) with its Checksum field taken as
    /// zero. Throws <see cref="ArgumentException"/> if the two addresses are not of the same family.
    /// </summary>
    public static ushort Compute(ReadOnlySpan<byte> packet, IPAddress source, IPAddress destination)
    {
        if (!TrySumPseudoHeader(packet.Length, source, destination, out ulong sum))
        {
            throw new ArgumentException($"checksum over {source} -> {destination}: address families differ");
        }

        if (packet.Length >= ChecksumOffset + 2)
        {
            sum += Sum(packet[..ChecksumOffset]);
            sum += Sum(packet[(ChecksumOffset + 2)..]);
        }
        else
        {
            sum += Sum(packet);
        }

        return (ushort)~Fold(sum);
    }

    /// <summary>True when the packet's Checksum field verifies; false for a mismatch or mixed address families.</summary>
    public static bool Verify(ReadOnlySpan<byte> packet, IPAddress source, IPAddress destination)
    {
        if (packet.Length < HipHeader.Size || !TrySumPseudoHeader(packet.Length, source, destination, out ulong sum))
        {
            return false;
        }

        // Summing every word including the checksum gives 0xFFFF (one's complement zero) when it is correct.
        return Fold(sum + Sum(packet)) == 0xFFFF;
    }

    /// <inheritdoc cref="Verify(ReadOnlySpan{byte}, IPAddress, IPAddress)"/>
    public static bool Verify(HipPacket packet, IPAddress source, IPAddress destination) => Verify(packet.Data, source, destination);

    /// <summary>Computes the checksum and stores it in the packet's Checksum field.</summary>
    public static void Apply(Span<byte> packet, IPAddress source, IPAddress destination) =>
        BinaryPrimitives.WriteUInt16BigEndian(packet[ChecksumOffset..], Compute(packet, source, destination));

    private static bool TrySumPseudoHeader(int length, IPAddress source, IPAddress destination, out ulong sum)
    {
        sum = 0;
        Span<byte> buffer = stackalloc byte[32];
        bool v4Source = IsV4(source);
        if (v4Source != IsV4(destination))
        {
            return false;
        }

        if (v4Source)
        {
            // RFC 768 pseudo-header: source, destination, zero, protocol, length.
            WriteV4(source, buffer[..4]);
            WriteV4(destination, buffer[4..8]);
            sum = Sum(buffer[..8]) + ProtocolNumber + (uint)length;
            return true;
        }

        // RFC 2460 §8.1 pseudo-header: source, destination, 32-bit length, 3 zero octets, next header.
        source.TryWriteBytes(buffer[..16], out _);
        destination.TryWriteBytes(buffer[16..], out _);
        sum = Sum(buffer) + ((uint)length >> 16) + ((uint)length & 0xFFFF) + ProtocolNumber;
        return true;
    }

    private static bool IsV4(IPAddress a) => a.AddressFamily == AddressFamily.InterNetwork || a.IsIPv4MappedToIPv6;

    private static void WriteV4(IPAddress a, Span<byte> destination)
    {
        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            a.TryWriteBytes(destination, out _);
            return;
        }

        Span<byte> v6 = stackalloc byte[16];
        a.TryWriteBytes(v6, out _);
        v6[12..].CopyTo(destination);
    }

    /// <summary>Sum of big-endian 16-bit words; an odd final octet is padded with zero (RFC 1071).</summary>
    private static ulong Sum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            uint w = BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
            sum += (w >> 16) + (w & 0xFFFF);
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

    private static ushort Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }
}
