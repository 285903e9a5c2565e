using System.Buffers.Binary;
using Hipnat.DataPlane.Beet;

namespace Hipnat.DataPlane.Tun;

/// <summary>
/// Software segmentation of what a TUN device with offloads hands its reader (Documentation/networking/tuntap.rst,
/// linux/virtio_net.h): a TCP super-segment (VIRTIO_NET_HDR_GSO_TCPV4/6) is cut into segments of at most
/// gso_size payload octets as the kernel's tcp_gso_segment would — IP total length (payload length) and, for IPv4,
/// Identification and header checksum per segment; TCP sequence number advanced, CWR only on the first segment,
/// FIN and PSH only on the last (RFC 9293 §3.1); full TCP checksum per segment — and a UDP one
/// (VIRTIO_NET_HDR_GSO_UDP_L4) into datagrams of exactly gso_size octets, each with its own UDP length and checksum.
/// A packet that is not segmented but has a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) is completed in place.
/// </summary>
/// <remarks>
/// Nothing in the header is trusted: the IP and transport header lengths come from the packet (hdr_len is ignored),
/// the GSO type must match the packet's version and protocol, and every offset is checked against the length, so a
/// lying header is a refused packet, never an exception or an out-of-bounds access. Nothing allocates.
/// </remarks>
public static class GsoSegmenter
{
    private const byte TcpFin = 0x01;
    private const byte TcpPsh = 0x08;
    private const byte TcpCwr = 0x80;

    /// <summary>
    /// Measures a super-segment: false when it is malformed or its header does not fit it. TCP segments carry at
    /// most gso_size and at most <paramref name="maxSegmentLength"/> - headers payload octets (so each fits the
    /// tunnel's MTU whatever the kernel claimed); UDP datagrams exactly gso_size (their boundaries are the
    /// application's), the last possibly shorter.
    /// </summary>
    public static bool TryPlan(ReadOnlySpan<byte> packet, in VirtioNetHeader header, int maxSegmentLength, out GsoPlan plan)
    {
        plan = default;
        byte kind = header.GsoKind;
        if (kind is not (VirtioNetHeader.GsoTcpV4 or VirtioNetHeader.GsoTcpV6 or VirtioNetHeader.GsoUdpL4) || header.GsoSize == 0)
        {
            return false;
        }

        if (!TryMeasure(packet, out bool ipv6, out byte protocol, out int ipHeaderLength, out int headerLength))
        {
            return false;
        }

        bool tcp = protocol == BeetPacket.ProtocolTcp;
        if ((kind == VirtioNetHeader.GsoTcpV4 && (ipv6 || !tcp)) || (kind == VirtioNetHeader.GsoTcpV6 && (!ipv6 || !tcp))
            || (kind == VirtioNetHeader.GsoUdpL4 && protocol != BeetPacket.ProtocolUdp))
        {
            return false;
        }

        int segment = header.GsoSize;
        if (tcp)
        {
            segment = Math.Min(segment, maxSegmentLength - headerLength);
        }

        if (segment <= 0)
        {
            return false;
        }

        int payload = packet.Length - headerLength;
        int count = payload == 0 ? 1 : (payload + segment - 1) / segment;
        plan = new GsoPlan(ipv6, protocol, ipHeaderLength, headerLength, segment, payload, count);
        return true;
    }

    /// <summary>
    /// Writes segment <paramref name="index"/> of <paramref name="plan"/> into <paramref name="destination"/> and
    /// returns its length (0 when the destination is too short or the index out of range).
    /// </summary>
    public static int WriteSegment(ReadOnlySpan<byte> packet, in GsoPlan plan, int index, Span<byte> destination)
    {
        if ((uint)index >= (uint)plan.Count || packet.Length != plan.HeaderLength + plan.PayloadLength)
        {
            return 0;
        }

        int start = index * plan.SegmentPayload;
        int chunk = Math.Min(plan.SegmentPayload, plan.PayloadLength - start);
        int length = plan.HeaderLength + chunk;
        if (destination.Length < length)
        {
            return 0;
        }

        var segment = destination[..length];
        packet[..plan.HeaderLength].CopyTo(segment);
        packet.Slice(plan.HeaderLength + start, chunk).CopyTo(segment[plan.HeaderLength..]);
        bool last = index == plan.Count - 1;
        if (plan.Ipv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(length - BeetPacket.Ipv6HeaderLength));
        }
        else
        {
            // RFC 791 §3.1; as the kernel's inet_gso_segment: consecutive Identifications.
            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], (ushort)length);
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + index));
            TransportChecksum.WriteIpv4Header(segment, plan.IpHeaderLength);
        }

        var transport = segment[plan.IpHeaderLength..];
        if (plan.Protocol == BeetPacket.ProtocolTcp)
        {
            // tcp_gso_segment: seq advances by the payload sent before; CWR stays on the first, FIN/PSH on the last.
            BinaryPrimitives.WriteUInt32BigEndian(transport[4..], BinaryPrimitives.ReadUInt32BigEndian(transport[4..]) + (uint)start);
            if (!last)
            {
                transport[13] &= unchecked((byte)~(TcpFin | TcpPsh));
            }

            if (index > 0)
            {
                transport[13] &= unchecked((byte)~TcpCwr);
            }
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(transport[4..], (ushort)transport.Length); // RFC 768
        }

        TransportChecksum.Write(segment, plan.Ipv6, plan.Protocol, plan.IpHeaderLength);
        return length;
    }

    /// <summary>
    /// Completes a partial checksum in place (VIRTIO_NET_HDR_F_NEEDS_CSUM: the field at csum_start + csum_offset
    /// holds the pseudo-header sum; the checksum covers csum_start to the end). False when the offsets do not fit
    /// the packet. A header without the flag leaves the packet alone.
    /// </summary>
    public static bool TryCompleteChecksum(Span<byte> packet, in VirtioNetHeader header)
    {
        if (!header.NeedsChecksum)
        {
            return true;
        }

        int start = header.CsumStart;
        int field = start + header.CsumOffset;
        if (start >= packet.Length || field + 2 > packet.Length || (header.CsumOffset & 1) != 0)
        {
            return false;
        }

        ushort checksum = InternetChecksum.Finish(InternetChecksum.Add(0, packet[start..]));
        if (checksum == 0 && TryMeasure(packet, out _, out byte protocol, out int ipHeaderLength, out _)
            && protocol == BeetPacket.ProtocolUdp && start == ipHeaderLength)
        {
            checksum = 0xFFFF; // RFC 768: zero means "no checksum"
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet[field..], checksum);
        return true;
    }

    /// <summary>
    /// The IP version, transport protocol and header lengths of a TCP or UDP packet, from the packet itself: IPv4
    /// with a valid IHL and no fragmentation, or IPv6 whose next header is TCP or UDP; the transport header within
    /// the packet. False for anything else.
    /// </summary>
    public static bool TryMeasure(ReadOnlySpan<byte> packet, out bool ipv6, out byte protocol, out int ipHeaderLength, out int headerLength)
    {
        ipv6 = false;
        protocol = 0;
        ipHeaderLength = 0;
        headerLength = 0;
        if (packet.Length < BeetPacket.Ipv4HeaderLength)
        {
            return false;
        }

        switch (packet[0] >> 4)
        {
            case 4:
                ipHeaderLength = (packet[0] & 0x0F) * 4;
                if (ipHeaderLength < BeetPacket.Ipv4HeaderLength || ipHeaderLength > packet.Length
                    || (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0)
                {
                    return false; // bad IHL, or a fragment (MF or an offset)
                }

                protocol = packet[9];
                break;
            case 6:
                if (packet.Length < BeetPacket.Ipv6HeaderLength)
                {
                    return false;
                }

                ipv6 = true;
                ipHeaderLength = BeetPacket.Ipv6HeaderLength;
                protocol = packet[6];
                break;
            default:
                return false;
        }

        if (protocol == BeetPacket.ProtocolTcp)
        {
            if (packet.Length < ipHeaderLength + 20)
            {
                return false;
            }

            int tcpHeader = (packet[ipHeaderLength + 12] >> 4) * 4;
            if (tcpHeader < 20 || ipHeaderLength + tcpHeader > packet.Length)
            {
                return false;
            }

            headerLength = ipHeaderLength + tcpHeader;
            return true;
        }

        if (protocol == BeetPacket.ProtocolUdp)
        {
            headerLength = ipHeaderLength + 8;
            return headerLength <= packet.Length;
        }

        return false;
    }
}
