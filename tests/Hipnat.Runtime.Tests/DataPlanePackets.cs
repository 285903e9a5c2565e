using System.Buffers.Binary;
using Hipnat.DataPlane.Beet;
using Hipnat.Wire;

namespace Hipnat.Runtime.Tests;

/// <summary>Inner IP packets as a local stack would hand them to the TUN device, and checks of what comes out.</summary>
internal static class DataPlanePackets
{
    public static byte[] Udp6(Hit source, Hit destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> data)
    {
        var p = new byte[BeetPacket.Ipv6HeaderLength + 8 + data.Length];
        BeetPacket.WriteIpv6Header(p, source, destination, BeetPacket.ProtocolUdp, 8 + data.Length);
        var udp = p.AsSpan(BeetPacket.Ipv6HeaderLength);
        WriteUdpHeader(udp, sourcePort, destinationPort, data);
        BeetPacket.WriteIpv6TransportChecksum(udp, BeetPacket.ProtocolUdp, source, destination);
        return p;
    }

    public static byte[] Udp4(uint source, uint destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> data)
    {
        var p = new byte[BeetPacket.Ipv4HeaderLength + 8 + data.Length];
        BeetPacket.WriteIpv4Header(p, source, destination, BeetPacket.ProtocolUdp, 8 + data.Length);
        var udp = p.AsSpan(BeetPacket.Ipv4HeaderLength);
        WriteUdpHeader(udp, sourcePort, destinationPort, data);
        ushort sum = InternetChecksum.Finish(InternetChecksum.Add(Ipv4PseudoHeader(source, destination, BeetPacket.ProtocolUdp, udp.Length), udp));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], sum == 0 ? (ushort)0xFFFF : sum);
        return p;
    }

    public static byte[] Tcp6Syn(Hit source, Hit destination, ushort sourcePort, ushort destinationPort)
    {
        var p = new byte[BeetPacket.Ipv6HeaderLength + 20];
        BeetPacket.WriteIpv6Header(p, source, destination, BeetPacket.ProtocolTcp, 20);
        var tcp = p.AsSpan(BeetPacket.Ipv6HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 1000);
        tcp[12] = 5 << 4;
        tcp[13] = 0x02; // SYN
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        BeetPacket.WriteIpv6TransportChecksum(tcp, BeetPacket.ProtocolTcp, source, destination);
        return p;
    }

    /// <summary>A TCP segment (ACK, plus <paramref name="flags"/>) between HITs; <paramref name="partial"/>: the checksum field
    /// holds only the folded pseudo-header sum, as a TUN device with TUN_F_CSUM hands it over.</summary>
    public static byte[] Tcp6(Hit source, Hit destination, uint sequence, ReadOnlySpan<byte> data, byte flags = 0x10, bool partial = false)
    {
        var p = new byte[BeetPacket.Ipv6HeaderLength + 20 + data.Length];
        BeetPacket.WriteIpv6Header(p, source, destination, BeetPacket.ProtocolTcp, 20 + data.Length);
        var tcp = p.AsSpan(BeetPacket.Ipv6HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 5201);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 1);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 1000);
        data.CopyTo(tcp[20..]);
        if (partial)
        {
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Fold(Ipv6PseudoHeader(source, destination, BeetPacket.ProtocolTcp, tcp.Length)));
        }
        else
        {
            BeetPacket.WriteIpv6TransportChecksum(tcp, BeetPacket.ProtocolTcp, source, destination);
        }

        return p;
    }

    public static byte[] Echo4(uint source, uint destination, ushort id, ushort sequence)
    {
        var p = new byte[BeetPacket.Ipv4HeaderLength + 8 + 16];
        BeetPacket.WriteIpv4Header(p, source, destination, BeetPacket.ProtocolIcmp, 24);
        var icmp = p.AsSpan(BeetPacket.Ipv4HeaderLength);
        icmp[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
        return p;
    }

    public static byte[] Echo6(Hit source, Hit destination, ushort id, ushort sequence)
    {
        var p = new byte[BeetPacket.Ipv6HeaderLength + 8 + 16];
        BeetPacket.WriteIpv6Header(p, source, destination, BeetPacket.ProtocolIcmpv6, 24);
        var icmp = p.AsSpan(BeetPacket.Ipv6HeaderLength);
        icmp[0] = 128;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        BeetPacket.WriteIpv6TransportChecksum(icmp, BeetPacket.ProtocolIcmpv6, source, destination);
        return p;
    }

    /// <summary>Fragments an IPv4 packet as a stack does for <paramref name="mtu"/>: DF clear, MF on all but the last, offsets in 8-octet units.</summary>
    public static List<byte[]> Fragment4(byte[] packet, int mtu, ushort identification)
    {
        int chunk = (mtu - BeetPacket.Ipv4HeaderLength) / 8 * 8;
        var data = packet.AsSpan(BeetPacket.Ipv4HeaderLength);
        var fragments = new List<byte[]>();
        for (int at = 0; at < data.Length; at += chunk)
        {
            int n = Math.Min(chunk, data.Length - at);
            var f = new byte[BeetPacket.Ipv4HeaderLength + n];
            packet.AsSpan(0, BeetPacket.Ipv4HeaderLength).CopyTo(f);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(2), (ushort)f.Length);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(4), identification);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(6), (ushort)((at + n < data.Length ? 0x2000 : 0) | (at / 8)));
            f[10] = 0;
            f[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(10), InternetChecksum.Compute(f.AsSpan(0, BeetPacket.Ipv4HeaderLength)));
            data.Slice(at, n).CopyTo(f.AsSpan(BeetPacket.Ipv4HeaderLength));
            fragments.Add(f);
        }

        return fragments;
    }

    /// <summary>True when the packet's transport checksum verifies for its own (inner) addresses.</summary>
    public static bool TransportChecksumValid(byte[] packet)
    {
        Assert.True(BeetPacket.TryParse(packet, out var inner));
        var payload = packet.AsSpan(inner.PayloadOffset, inner.PayloadLength);
        ulong sum;
        if (inner.IsIpv6)
        {
            sum = Ipv6PseudoHeader(inner.SourceHit, inner.DestinationHit, inner.Protocol, payload.Length);
        }
        else if (inner.Protocol == BeetPacket.ProtocolIcmp)
        {
            sum = 0;
        }
        else
        {
            sum = Ipv4PseudoHeader(inner.SourceLsi, inner.DestinationLsi, inner.Protocol, payload.Length);
        }

        return InternetChecksum.Fold(InternetChecksum.Add(sum, payload)) == 0xFFFF;
    }

    /// <summary>The transport payload (after the inner IP header).</summary>
    public static byte[] Transport(byte[] packet)
    {
        Assert.True(BeetPacket.TryParse(packet, out var inner));
        return packet.AsSpan(inner.PayloadOffset, inner.PayloadLength).ToArray();
    }

    private static void WriteUdpHeader(Span<byte> udp, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        udp[6] = 0;
        udp[7] = 0;
        data.CopyTo(udp[8..]);
    }

    private static ulong Ipv4PseudoHeader(uint source, uint destination, byte protocol, int length) =>
        (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) + protocol + (uint)length;

    private static ulong Ipv6PseudoHeader(Hit source, Hit destination, byte protocol, int length)
    {
        Span<byte> b = stackalloc byte[32];
        source.WriteTo(b);
        destination.WriteTo(b[16..]);
        return InternetChecksum.Add(0, b) + (uint)length + protocol;
    }
}
