using System.Buffers.Binary;
using Hipnat.DataPlane.Beet;

namespace Hipnat.DataPlane.Tun;

/// <summary>
/// Receive-side coalescing for a TUN device with IFF_VNET_HDR, as the kernel's GRO does (net/ipv4/tcp_offload.c,
/// tcp_gro_receive): consecutive in-order TCP segments of one flow are joined into one super-segment that is written
/// with a virtio_net_hdr (VIRTIO_NET_HDR_GSO_TCPV4/6, gso_size the first segment's payload) and a partial checksum
/// (VIRTIO_NET_HDR_F_NEEDS_CSUM), so the local stack takes up to 64 KiB in one write.
/// </summary>
/// <remarks>
/// <para>
/// A segment joins when its IP header matches the first one's (apart from lengths, checksum and — IPv4 — an
/// Identification one more than the previous, or the same under DF), it continues the sequence space, has the same
/// ports, acknowledgment, data offset, flags and window (PSH, FIN and the first one's CWR aside; a segment with CWR
/// joins none), the same option octets, a
/// payload of at most the first one's, and a valid checksum (checked here: the written super-segment's checksum is
/// left to the kernel). A shorter segment, or one with PSH or FIN, joins as the last. A segment that starts one
/// must carry data and none of SYN, RST, URG, FIN or PSH. At most <see cref="MaxSegments"/> segments and 65,535
/// octets per super-segment.
/// </para>
/// <para>One instance per thread; nothing allocates after construction.</para>
/// </remarks>
public sealed class TcpCoalescer
{
    /// <summary>Most segments joined (the kernel's GRO stops at 64 as well).</summary>
    public const int MaxSegments = 64;

    /// <summary>Largest super-segment (IPv4 total length).</summary>
    public const int MaxLength = 65535;

    private const byte TcpFin = 0x01;
    private const byte TcpSyn = 0x02;
    private const byte TcpRst = 0x04;
    private const byte TcpPsh = 0x08;
    private const byte TcpUrg = 0x20;
    private const byte TcpCwr = 0x80;

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(VirtioNetHeader.Size + MaxLength, pinned: true);
    private int _length;
    private int _count;
    private bool _ipv6;
    private int _ipHeaderLength;
    private int _headerLength;
    private int _segmentSize;
    private uint _nextSequence;
    private ushort _lastId;
    private bool _closed;

    /// <summary>True while a segment (or a super-segment) waits for <see cref="Complete"/>.</summary>
    public bool HasPending => _count > 0;

    /// <summary>Segments in the pending super-segment.</summary>
    public int Count => _count;

    /// <summary>Starts a super-segment with <paramref name="packet"/> (copied); false when it cannot start one.</summary>
    public bool TryStart(ReadOnlySpan<byte> packet)
    {
        _count = 0;
        if (packet.Length > MaxLength
            || !GsoSegmenter.TryMeasure(packet, out bool ipv6, out byte protocol, out int ipHeaderLength, out int headerLength)
            || protocol != BeetPacket.ProtocolTcp || headerLength >= packet.Length)
        {
            return false;
        }

        byte flags = packet[ipHeaderLength + 13];
        if ((flags & (TcpSyn | TcpRst | TcpUrg | TcpFin | TcpPsh)) != 0 || !TransportChecksum.IsValid(packet, ipv6, protocol, ipHeaderLength))
        {
            return false;
        }

        if (TotalLength(packet, ipv6) != packet.Length)
        {
            return false;
        }

        packet.CopyTo(_buffer.AsSpan(VirtioNetHeader.Size));
        _length = packet.Length;
        _count = 1;
        _ipv6 = ipv6;
        _ipHeaderLength = ipHeaderLength;
        _headerLength = headerLength;
        _segmentSize = packet.Length - headerLength;
        _nextSequence = BinaryPrimitives.ReadUInt32BigEndian(packet[(ipHeaderLength + 4)..]) + (uint)_segmentSize;
        _lastId = ipv6 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        _closed = false;
        return true;
    }

    /// <summary>Appends <paramref name="packet"/> to the pending super-segment; false (nothing changed) when it cannot join.</summary>
    public bool TryAppend(ReadOnlySpan<byte> packet)
    {
        if (_count == 0 || _closed || _count >= MaxSegments || packet.Length <= _headerLength)
        {
            return false;
        }

        int payload = packet.Length - _headerLength;
        if (payload > _segmentSize || _length + payload > MaxLength)
        {
            return false;
        }

        var first = _buffer.AsSpan(VirtioNetHeader.Size, _length);
        if (!SameIpHeader(first, packet))
        {
            return false;
        }

        // The transport header: same length (data offset), ports, ack, flags but PSH/FIN, window, options.
        var th = packet[_ipHeaderLength..];
        var fh = first[_ipHeaderLength..];
        byte flags = th[13];
        if ((th[12] >> 4) * 4 != _headerLength - _ipHeaderLength
            || BinaryPrimitives.ReadUInt32BigEndian(th[4..]) != _nextSequence
            || !th[..4].SequenceEqual(fh[..4])
            || !th.Slice(8, 4).SequenceEqual(fh.Slice(8, 4))
            || th[12] != fh[12]
            || ((flags ^ fh[13]) & ~(TcpPsh | TcpFin | TcpCwr)) != 0
            || (flags & TcpCwr) != 0
            || !th.Slice(14, 2).SequenceEqual(fh.Slice(14, 2))
            || !th.Slice(20, _headerLength - _ipHeaderLength - 20).SequenceEqual(fh.Slice(20, _headerLength - _ipHeaderLength - 20)))
        {
            return false;
        }

        if (TotalLength(packet, _ipv6) != packet.Length)
        {
            return false;
        }

        if (!TransportChecksum.IsValid(packet, _ipv6, BeetPacket.ProtocolTcp, _ipHeaderLength))
        {
            return false;
        }

        packet[_headerLength..].CopyTo(_buffer.AsSpan(VirtioNetHeader.Size + _length));
        _length += payload;
        _count++;
        _nextSequence += (uint)payload;
        if (!_ipv6)
        {
            _lastId = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        }

        first = _buffer.AsSpan(VirtioNetHeader.Size, _length);
        first[_ipHeaderLength + 13] |= (byte)(flags & (TcpPsh | TcpFin));
        if (payload < _segmentSize || (flags & (TcpPsh | TcpFin)) != 0)
        {
            _closed = true; // tcp_gro_receive: a short segment, PSH or FIN ends the super-segment
        }

        return true;
    }

    /// <summary>
    /// Finishes the pending packet and returns it with its virtio_net_hdr in front (ready for one write to the TUN
    /// device); empty when nothing is pending. One segment goes out unchanged with an empty header; several as one
    /// super-segment with fixed IP length (and IPv4 header checksum) and the pseudo-header sum as partial TCP
    /// checksum. The span is valid until the next <see cref="TryStart"/>.
    /// </summary>
    public ReadOnlySpan<byte> Complete()
    {
        if (_count == 0)
        {
            return default;
        }

        var packet = _buffer.AsSpan(VirtioNetHeader.Size, _length);
        VirtioNetHeader header;
        if (_count == 1)
        {
            header = VirtioNetHeader.None;
        }
        else
        {
            if (_ipv6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(_length - BeetPacket.Ipv6HeaderLength));
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)_length);
                TransportChecksum.WriteIpv4Header(packet, _ipHeaderLength);
            }

            // virtio_net_hdr_to_skb: CHECKSUM_PARTIAL from csum_start, the field seeded with the pseudo-header sum.
            int tcpLength = _length - _ipHeaderLength;
            ushort seed = InternetChecksum.Fold(TransportChecksum.PseudoHeaderSum(packet, _ipv6, BeetPacket.ProtocolTcp, tcpLength));
            BinaryPrimitives.WriteUInt16BigEndian(packet[(_ipHeaderLength + 16)..], seed);
            byte type = _ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4;
            if ((packet[_ipHeaderLength + 13] & TcpCwr) != 0)
            {
                type |= VirtioNetHeader.GsoEcn;
            }

            header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, type, (ushort)_headerLength, (ushort)_segmentSize, (ushort)_ipHeaderLength, 16);
        }

        header.WriteTo(_buffer);
        _count = 0;
        return _buffer.AsSpan(0, VirtioNetHeader.Size + _length);
    }

    /// <summary>Drops the pending packet.</summary>
    public void Reset() => _count = 0;

    private bool SameIpHeader(ReadOnlySpan<byte> first, ReadOnlySpan<byte> packet)
    {
        if (packet.Length < _headerLength || (packet[0] >> 4) != (_ipv6 ? 6 : 4))
        {
            return false;
        }

        if (_ipv6)
        {
            // Version, traffic class, flow label; next header, hop limit, addresses (RFC 8200 §3).
            return packet[..4].SequenceEqual(first[..4]) && packet[6..BeetPacket.Ipv6HeaderLength].SequenceEqual(first[6..BeetPacket.Ipv6HeaderLength]);
        }

        // Version/IHL, TOS; flags and fragment offset, TTL, protocol; addresses and options (inet_gro_receive).
        if (packet[0] != first[0] || packet[1] != first[1] || !packet.Slice(6, 4).SequenceEqual(first.Slice(6, 4))
            || !packet[12.._ipHeaderLength].SequenceEqual(first[12.._ipHeaderLength]))
        {
            return false;
        }

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        bool dontFragment = (packet[6] & 0x40) != 0;
        return id == (ushort)(_lastId + 1) || (dontFragment && id == _lastId);
    }

    private static int TotalLength(ReadOnlySpan<byte> packet, bool ipv6) =>
        ipv6 ? BeetPacket.Ipv6HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) : BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
}
