using System.Buffers.Binary;
using Hipnat.DataPlane.Beet;

namespace Hipnat.DataPlane.Tun;

/// <summary>TCP and UDP checksums over an IP packet's own addresses (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1).</summary>
public static class TransportChecksum
{
    /// <summary>
    /// The running sum of the pseudo-header of <paramref name="ipPacket"/> (IPv4: addresses at 12-19; IPv6: at 8-39)
    /// for a transport segment of <paramref name="transportLength"/> octets of <paramref name="protocol"/>.
    /// </summary>
    public static ulong PseudoHeaderSum(ReadOnlySpan<byte> ipPacket, bool ipv6, byte protocol, int transportLength)
    {
        ulong sum = ipv6 ? InternetChecksum.Add(0, ipPacket.Slice(8, 32)) : InternetChecksum.Add(0, ipPacket.Slice(12, 8));
        sum += protocol;
        sum += (uint)transportLength >> 16;
        sum += (uint)transportLength & 0xFFFF;
        return sum;
    }

    /// <summary>
    /// Computes and stores the full checksum of the transport segment starting at <paramref name="transportOffset"/>
    /// (TCP: field at 16; UDP: field at 6, and a result of zero is sent as all ones, RFC 768).
    /// </summary>
    public static void Write(Span<byte> ipPacket, bool ipv6, byte protocol, int transportOffset)
    {
        var transport = ipPacket[transportOffset..];
        int field = protocol == BeetPacket.ProtocolTcp ? 16 : 6;
        BinaryPrimitives.WriteUInt16BigEndian(transport[field..], 0);
        ulong sum = InternetChecksum.Add(PseudoHeaderSum(ipPacket, ipv6, protocol, transport.Length), transport);
        ushort checksum = InternetChecksum.Finish(sum);
        if (checksum == 0 && protocol == BeetPacket.ProtocolUdp)
        {
            checksum = 0xFFFF;
        }

        BinaryPrimitives.WriteUInt16BigEndian(transport[field..], checksum);
    }

    /// <summary>True when the transport segment's checksum verifies (the sum over pseudo-header and segment is all ones).</summary>
    public static bool IsValid(ReadOnlySpan<byte> ipPacket, bool ipv6, byte protocol, int transportOffset)
    {
        var transport = ipPacket[transportOffset..];
        return InternetChecksum.Fold(InternetChecksum.Add(PseudoHeaderSum(ipPacket, ipv6, protocol, transport.Length), transport)) == 0xFFFF;
    }

    /// <summary>Recomputes an IPv4 header's checksum (RFC 791 §3.1) over its <paramref name="headerLength"/> octets.</summary>
    public static void WriteIpv4Header(Span<byte> ipPacket, int headerLength)
    {
        ipPacket[10] = 0;
        ipPacket[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ipPacket[10..], InternetChecksum.Compute(ipPacket[..headerLength]));
    }
}
