using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Beet;

/// <summary>
/// BEET-mode header processing (RFC 7402 Appendix B): on output, the inner IP header read from the TUN device is
/// parsed and dropped and only its payload is sealed; on input, a new inner header carrying the HITs (IPv6) or LSIs
/// (IPv4, RFC 5338) is built in front of the decrypted payload. Also the transport checksum conversion between the
/// LSI and HIT pseudo-headers, and ICMP "packet too big" / "fragmentation needed" for oversized inner packets.
/// </summary>
/// <remarks>
/// <para>
/// On the wire a transport checksum is always the one computed over the IPv6 pseudo-header with the HITs (RFC 7401
/// §4.5.1), whatever family the application used. Traffic between HITs needs no change; traffic between LSIs is
/// converted with <see cref="TryConvertChecksumToHits"/> before sealing and <see cref="TryConvertChecksumToLsis"/>
/// after opening. ESP does not carry the inner family: for ICMP (1) the receiver must rebuild IPv4 and for ICMPv6
/// (58) IPv6; for other protocols it is the daemon's choice (e.g. the family the local side last used towards the
/// peer, IPv6 by default).
/// </para>
/// <para>
/// IPv4 fragments (from an application sending without DF to an LSI, fragmented by the local stack to the tunnel
/// MTU) cannot go as plain BEET: the rebuilt header would lose Identification, MF and the offset. They are sealed
/// with ESP Next Header 4 (IPv4) and their IPv4 header in front of the fragment (<see cref="TryPrepareIpv4Fragment"/>);
/// the receiver rebuilds that header's addresses from the SA — its own LSIs, as for any BEET inner header — and keeps
/// Identification, flags, offset, protocol, TTL and TOS (<see cref="TryRebuildIpv4Fragment"/>), so its stack
/// reassembles the datagram. The first fragment's transport checksum is converted like an unfragmented segment's.
/// </para>
/// <para>
/// Not supported: the IPv4 options pseudo-header (ESP Next Header 94, RFC 7402 B.1.7) — options are discarded on
/// output, as B.1.5 recommends. IPv6 extension headers, the Fragment header included, travel inside the payload
/// unchanged.
/// </para>
/// </remarks>
public static class BeetPacket
{
    public const int Ipv4HeaderLength = 20;
    public const int Ipv6HeaderLength = 40;

    public const byte ProtocolIcmp = 1;

    /// <summary>ESP Next Header of an IPv4 fragment carried with its own IPv4 header (IP in IP, RFC 2003's number).</summary>
    public const byte ProtocolIpv4 = 4;
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;
    public const byte ProtocolIcmpv6 = 58;

    /// <summary>
    /// ESP Next Header of the BEET IPv4-options pseudo-header (RFC 7402 B.1.7). hipnat never sends it (options are
    /// discarded on output) and does not rebuild it on input: drop packets that carry it.
    /// </summary>
    public const byte ProtocolBeetPseudoHeader = 94;

    private const int Ipv6MinimumMtu = 1280;   // RFC 8200 §5
    private const int Ipv4MinimumMtu = 68;     // RFC 791
    private const int Ipv4ErrorLimit = 576;    // RFC 1812 §4.3.2.3: ICMPv4 errors fit in 576 octets
    private const int IcmpHeaderLength = 8;

    /// <summary>
    /// Parses the IP header of a packet read from the TUN device (RFC 7402 B.1.5 step 1). False for anything that is
    /// not a well-formed IPv4 or IPv6 packet; never throws.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> ipPacket, out InnerPacket packet)
    {
        packet = default;
        if (ipPacket.IsEmpty)
        {
            return false;
        }

        return (ipPacket[0] >> 4) switch
        {
            4 => TryParseIpv4(ipPacket, out packet),
            6 => TryParseIpv6(ipPacket, out packet),
            _ => false,
        };
    }

    private static bool TryParseIpv4(ReadOnlySpan<byte> p, out InnerPacket packet)
    {
        packet = default;
        if (p.Length < Ipv4HeaderLength)
        {
            return false;
        }

        // RFC 791 §3.1: IHL in 32-bit words (at least 5), Total Length covers header and data.
        int headerLength = (p[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
        if (headerLength < Ipv4HeaderLength || totalLength < headerLength || totalLength > p.Length)
        {
            return false;
        }

        ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        bool dontFragment = (flagsAndOffset & 0x4000) != 0;
        bool isFragment = (flagsAndOffset & 0x2000) != 0 || (flagsAndOffset & 0x1FFF) != 0;
        packet = new InnerPacket(
            4, p[9], headerLength, totalLength - headerLength, default, default,
            BinaryPrimitives.ReadUInt32BigEndian(p[12..]), BinaryPrimitives.ReadUInt32BigEndian(p[16..]),
            p[8], p[1], dontFragment, isFragment, headerLength > Ipv4HeaderLength,
            BinaryPrimitives.ReadUInt16BigEndian(p[4..]), flagsAndOffset);
        return true;
    }

    private static bool TryParseIpv6(ReadOnlySpan<byte> p, out InnerPacket packet)
    {
        packet = default;
        if (p.Length < Ipv6HeaderLength)
        {
            return false;
        }

        // RFC 8200 §3: Payload Length counts everything after the fixed header (extension headers included);
        // 0 would mean a jumbogram, which a TUN MTU never allows.
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(p[4..]);
        if (payloadLength == 0 && p.Length > Ipv6HeaderLength || Ipv6HeaderLength + payloadLength > p.Length)
        {
            return false;
        }

        byte trafficClass = (byte)((BinaryPrimitives.ReadUInt16BigEndian(p) >> 4) & 0xFF);
        packet = new InnerPacket(
            6, p[6], Ipv6HeaderLength, payloadLength, new Hit(p[8..24]), new Hit(p[24..40]), 0, 0,
            p[7], trafficClass, dontFragment: true, isFragment: false, hadOptions: false);
        return true;
    }

    /// <summary>
    /// Writes the fixed IPv6 header of a BEET inner packet with the HITs as addresses (RFC 7402 B.1.6 step 3) into
    /// <paramref name="header"/> (40 octets, normally just before the decrypted payload) and returns the length of
    /// the whole packet.
    /// </summary>
    public static int WriteIpv6Header(
        Span<byte> header, Hit source, Hit destination, byte nextHeader, int payloadLength, byte hopLimit = 64, byte trafficClass = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, ushort.MaxValue);

        // RFC 8200 §3: Version 6 | Traffic Class | Flow Label (0) | Payload Length | Next Header | Hop Limit | addresses.
        BinaryPrimitives.WriteUInt32BigEndian(header, (6u << 28) | ((uint)trafficClass << 20));
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)payloadLength);
        header[6] = nextHeader;
        header[7] = hopLimit;
        source.WriteTo(header[8..]);
        destination.WriteTo(header[24..]);
        return Ipv6HeaderLength + payloadLength;
    }

    /// <summary>
    /// Writes a 20-octet IPv4 header of a BEET inner packet with the LSIs as addresses (RFC 7402 B.1.6 step 3,
    /// RFC 5338) and its header checksum, and returns the length of the whole packet.
    /// </summary>
    public static int WriteIpv4Header(
        Span<byte> header, uint sourceLsi, uint destinationLsi, byte protocol, int payloadLength,
        byte ttl = 64, byte typeOfService = 0, ushort identification = 0, bool dontFragment = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, ushort.MaxValue - Ipv4HeaderLength);

        // RFC 791 §3.1.
        header[0] = 0x45;
        header[1] = typeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(Ipv4HeaderLength + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], identification);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], dontFragment ? (ushort)0x4000 : (ushort)0);
        header[8] = ttl;
        header[9] = protocol;
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[12..], sourceLsi);
        BinaryPrimitives.WriteUInt32BigEndian(header[16..], destinationLsi);
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum.Compute(header[..Ipv4HeaderLength]));
        return Ipv4HeaderLength + payloadLength;
    }

    /// <summary>
    /// BEET output of an IPv4 fragment, in place: writes the 20-octet IPv4 header that travels in front of the fragment
    /// (ESP Next Header <see cref="ProtocolIpv4"/>) just before its data — over any options, which are discarded as
    /// RFC 7402 B.1.5 recommends — with Identification, flags, fragment offset, protocol, TTL and TOS of
    /// <paramref name="inner"/> and unspecified (0.0.0.0) addresses: the receiver puts in its LSIs of the SA. The first
    /// fragment's TCP or UDP checksum is converted to the HIT pseudo-header as for a whole segment (a UDP checksum of
    /// zero, "none", stays zero: it cannot be computed over a fragment). Returns the offset and length of what to seal;
    /// false when <paramref name="inner"/> is not IPv4 or a first fragment is too short to hold its checksum.
    /// </summary>
    public static bool TryPrepareIpv4Fragment(
        Span<byte> ipPacket, in InnerPacket inner, Hit sourceHit, Hit destinationHit, out int carriedOffset, out int carriedLength)
    {
        carriedOffset = 0;
        carriedLength = 0;
        if (inner.IsIpv6 || inner.PayloadOffset < Ipv4HeaderLength || inner.PayloadOffset + inner.PayloadLength > ipPacket.Length)
        {
            return false;
        }

        Span<byte> data = ipPacket.Slice(inner.PayloadOffset, inner.PayloadLength);
        if (inner.FragmentOffset == 0 && !TryConvertFragmentChecksum(data, inner.Protocol, AddLsis(0, inner.SourceLsi, inner.DestinationLsi), AddHits(0, sourceHit, destinationHit)))
        {
            return false;
        }

        carriedOffset = inner.PayloadOffset - Ipv4HeaderLength;
        carriedLength = Ipv4HeaderLength + inner.PayloadLength;
        Span<byte> header = ipPacket.Slice(carriedOffset, Ipv4HeaderLength);
        WriteIpv4FragmentHeader(header, 0, 0, inner.Protocol, inner.PayloadLength, inner.HopLimit, inner.TrafficClass, inner.Identification, inner.FlagsAndOffset);
        return true;
    }

    /// <summary>
    /// BEET input of an ESP payload with Next Header <see cref="ProtocolIpv4"/> (see <see cref="TryPrepareIpv4Fragment"/>),
    /// in place: checks the carried IPv4 header (version 4, no options, Total Length equal to the payload), puts in
    /// the inner addresses of the SA (<paramref name="sourceLsi"/>, <paramref name="destinationLsi"/>), keeps every
    /// other field, converts a first fragment's TCP or UDP checksum from the HIT to the LSI pseudo-header, and
    /// recomputes the header checksum. <paramref name="packet"/> is then the IPv4 packet to write to the TUN device.
    /// False for a malformed header.
    /// </summary>
    public static bool TryRebuildIpv4Fragment(Span<byte> packet, Hit sourceHit, Hit destinationHit, uint sourceLsi, uint destinationLsi)
    {
        if (packet.Length < Ipv4HeaderLength || packet[0] != 0x45 || BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != packet.Length)
        {
            return false;
        }

        ushort flagsAndOffset = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x7FFF); // RFC 791: the first flag is reserved, zero
        byte protocol = packet[9];
        if ((flagsAndOffset & 0x1FFF) == 0
            && !TryConvertFragmentChecksum(packet[Ipv4HeaderLength..], protocol, AddHits(0, sourceHit, destinationHit), AddLsis(0, sourceLsi, destinationLsi)))
        {
            return false;
        }

        WriteIpv4FragmentHeader(
            packet, sourceLsi, destinationLsi, protocol, packet.Length - Ipv4HeaderLength, packet[8], packet[1],
            BinaryPrimitives.ReadUInt16BigEndian(packet[4..]), flagsAndOffset);
        return true;
    }

    /// <summary>A 20-octet IPv4 header with the given Identification and flags/fragment-offset word, and its checksum (RFC 791 §3.1).</summary>
    private static void WriteIpv4FragmentHeader(
        Span<byte> header, uint source, uint destination, byte protocol, int payloadLength, byte ttl, byte typeOfService, ushort identification, ushort flagsAndOffset)
    {
        header[0] = 0x45;
        header[1] = typeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(Ipv4HeaderLength + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], identification);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], flagsAndOffset);
        header[8] = ttl;
        header[9] = protocol;
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[12..], source);
        BinaryPrimitives.WriteUInt32BigEndian(header[16..], destination);
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum.Compute(header[..Ipv4HeaderLength]));
    }

    /// <summary>
    /// The checksum conversion of a first fragment (or whole segment) between pseudo-header address sums. Only TCP and
    /// UDP; a zero UDP checksum means none over IPv4 and stays zero.
    /// </summary>
    private static bool TryConvertFragmentChecksum(Span<byte> transport, byte protocol, ulong oldAddresses, ulong newAddresses)
    {
        if (protocol is not (ProtocolTcp or ProtocolUdp))
        {
            return true;
        }

        int offset = ChecksumOffset(protocol);
        if (transport.Length < offset + 2)
        {
            return false;
        }

        Span<byte> field = transport.Slice(offset, 2);
        if (protocol == ProtocolUdp && field[0] == 0 && field[1] == 0)
        {
            return true;
        }

        UpdateChecksum(field, oldAddresses, newAddresses, protocol == ProtocolUdp);
        return true;
    }

    /// <summary>Offset of the checksum field in the transport header, or -1 when the protocol has no pseudo-header checksum.</summary>
    public static int ChecksumOffset(byte protocol) => protocol switch
    {
        ProtocolTcp => 16,     // RFC 9293 §3.1
        ProtocolUdp => 6,      // RFC 768
        ProtocolIcmpv6 => 2,   // RFC 4443 §2.3
        _ => -1,
    };

    /// <summary>
    /// Converts the transport checksum of a segment an application sent between LSIs into the form used on the wire,
    /// over the IPv6 pseudo-header with the HITs (RFC 7401 §4.5.1), by incremental update (RFC 1624 eqn. 3). An
    /// IPv4 UDP datagram without checksum gets a full one (IPv6 requires it). False when the segment is too short to
    /// hold its checksum; protocols without a pseudo-header checksum are left alone (true).
    /// </summary>
    public static bool TryConvertChecksumToHits(
        Span<byte> transport, byte protocol, uint sourceLsi, uint destinationLsi, Hit sourceHit, Hit destinationHit)
    {
        int offset = ChecksumOffset(protocol);
        if (offset < 0 || protocol == ProtocolIcmpv6)
        {
            return true; // ICMPv4 has no pseudo-header; ICMPv6 never comes from an IPv4 socket
        }

        if (transport.Length < offset + 2)
        {
            return false;
        }

        Span<byte> field = transport.Slice(offset, 2);
        if (protocol == ProtocolUdp && field[0] == 0 && field[1] == 0)
        {
            // RFC 768: zero means "no checksum" over IPv4; RFC 8200 §8.1: UDP over IPv6 must carry one.
            WriteFullChecksum(transport, field, Ipv6PseudoHeaderSum(sourceHit, destinationHit, protocol, transport.Length), udp: true);
            return true;
        }

        ulong oldAddresses = AddLsis(0, sourceLsi, destinationLsi);
        ulong newAddresses = AddHits(0, sourceHit, destinationHit);
        UpdateChecksum(field, oldAddresses, newAddresses, protocol == ProtocolUdp);
        return true;
    }

    /// <summary>
    /// Converts a transport checksum from the wire form (IPv6 pseudo-header with HITs) to the one an IPv4 socket
    /// bound to LSIs verifies, after opening and before writing an IPv4 inner packet to the TUN device.
    /// </summary>
    public static bool TryConvertChecksumToLsis(
        Span<byte> transport, byte protocol, Hit sourceHit, Hit destinationHit, uint sourceLsi, uint destinationLsi)
    {
        int offset = ChecksumOffset(protocol);
        if (offset < 0 || protocol == ProtocolIcmpv6)
        {
            return true;
        }

        if (transport.Length < offset + 2)
        {
            return false;
        }

        ulong oldAddresses = AddHits(0, sourceHit, destinationHit);
        ulong newAddresses = AddLsis(0, sourceLsi, destinationLsi);
        UpdateChecksum(transport.Slice(offset, 2), oldAddresses, newAddresses, protocol == ProtocolUdp);
        return true;
    }

    /// <summary>
    /// Computes and stores the full transport checksum of <paramref name="transport"/> for the IPv6 pseudo-header
    /// with the given addresses (RFC 8200 §8.1). Used for ICMPv6 and by tests.
    /// </summary>
    public static void WriteIpv6TransportChecksum(Span<byte> transport, byte protocol, Hit source, Hit destination)
    {
        int offset = ChecksumOffset(protocol);
        if (offset < 0 || transport.Length < offset + 2)
        {
            throw new ArgumentException($"protocol {protocol} has no pseudo-header checksum or the segment is too short", nameof(transport));
        }

        WriteFullChecksum(transport, transport.Slice(offset, 2), Ipv6PseudoHeaderSum(source, destination, protocol, transport.Length), protocol == ProtocolUdp);
    }

    /// <summary>
    /// Builds the ICMP error that tells the local stack an inner packet is too big for the tunnel: ICMPv6 Packet Too
    /// Big (RFC 4443 §3.2) for IPv6, Destination Unreachable "fragmentation needed and DF set" with the next-hop MTU
    /// (RFC 792, RFC 1191 §4) for IPv4. The error appears to come from the packet's destination (a peer address
    /// routed through the TUN device, so reverse-path filters accept it) and is addressed to its source; write it to
    /// the TUN device. False when no error may be sent: the packet fits, is malformed, is itself an ICMP error
    /// (RFC 4443 §2.4 (e), RFC 1122 §3.2.2), is a non-initial IPv4 fragment, or is IPv4 without DF (send it and let
    /// the outer packet fragment instead).
    /// </summary>
    /// <param name="mtu">Largest inner packet the tunnel carries; raised to 1280 for IPv6 and 68 for IPv4.</param>
    public static bool TryWriteTooBig(ReadOnlySpan<byte> originalPacket, int mtu, Span<byte> destination, out int length)
    {
        length = 0;
        if (!TryParse(originalPacket, out var inner))
        {
            return false;
        }

        int original = inner.PayloadOffset + inner.PayloadLength;
        if (inner.IsIpv6)
        {
            mtu = Math.Max(mtu, Ipv6MinimumMtu);
            if (original <= mtu || IsIcmpError(inner, originalPacket) || inner.SourceHit.IsZero)
            {
                return false;
            }

            // RFC 4443 §3.2: as much of the invoking packet as fits without exceeding the minimum IPv6 MTU.
            int quoted = Math.Min(original, Ipv6MinimumMtu - Ipv6HeaderLength - IcmpHeaderLength);
            int total = Ipv6HeaderLength + IcmpHeaderLength + quoted;
            if (destination.Length < total)
            {
                return false;
            }

            originalPacket[..quoted].CopyTo(destination[(Ipv6HeaderLength + IcmpHeaderLength)..]);
            Span<byte> icmp = destination[Ipv6HeaderLength..total];
            icmp[0] = 2; // Packet Too Big
            icmp[1] = 0;
            icmp[2] = 0;
            icmp[3] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(icmp[4..], (uint)mtu);
            WriteIpv6Header(destination, inner.DestinationHit, inner.SourceHit, ProtocolIcmpv6, icmp.Length);
            WriteIpv6TransportChecksum(icmp, ProtocolIcmpv6, inner.DestinationHit, inner.SourceHit);
            length = total;
            return true;
        }

        mtu = Math.Clamp(mtu, Ipv4MinimumMtu, ushort.MaxValue);
        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(originalPacket[6..]);
        if (original <= mtu || !inner.DontFragment || (fragment & 0x1FFF) != 0 || IsIcmpError(inner, originalPacket) || inner.SourceLsi == 0)
        {
            return false;
        }

        // RFC 792: the internet header plus (at least) the first 64 bits of the datagram; RFC 1812 §4.3.2.3 allows
        // more, up to a 576-octet error.
        int quotedV4 = Math.Min(original, Ipv4ErrorLimit - Ipv4HeaderLength - IcmpHeaderLength);
        int totalV4 = Ipv4HeaderLength + IcmpHeaderLength + quotedV4;
        if (destination.Length < totalV4)
        {
            return false;
        }

        originalPacket[..quotedV4].CopyTo(destination[(Ipv4HeaderLength + IcmpHeaderLength)..]);
        Span<byte> icmpV4 = destination[Ipv4HeaderLength..totalV4];
        icmpV4[0] = 3; // Destination Unreachable
        icmpV4[1] = 4; // fragmentation needed and DF set
        icmpV4[2] = 0;
        icmpV4[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmpV4[4..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmpV4[6..], (ushort)mtu); // RFC 1191 §4: Next-Hop MTU
        BinaryPrimitives.WriteUInt16BigEndian(icmpV4[2..], InternetChecksum.Compute(icmpV4));
        WriteIpv4Header(destination, inner.DestinationLsi, inner.SourceLsi, ProtocolIcmp, icmpV4.Length, typeOfService: 0xC0, dontFragment: false);
        length = totalV4;
        return true;
    }

    /// <summary>An IPv4 address as the big-endian number <see cref="InnerPacket.SourceLsi"/> uses.</summary>
    public static uint ToLsi(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("an LSI is an IPv4 address", nameof(address));
        }

        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    /// <summary>The IPv4 address of an LSI number.</summary>
    public static IPAddress FromLsi(uint lsi)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, lsi);
        return new IPAddress(b);
    }

    private static bool IsIcmpError(in InnerPacket inner, ReadOnlySpan<byte> packet)
    {
        if (inner.PayloadLength < 1)
        {
            return false;
        }

        byte type = packet[inner.PayloadOffset];
        return inner.Protocol switch
        {
            ProtocolIcmpv6 => type < 128,                                           // RFC 4443 §2.1: errors are 0-127
            ProtocolIcmp => type is 3 or 4 or 5 or 11 or 12,                        // RFC 792 error messages
            _ => false,
        };
    }

    /// <summary>RFC 8200 §8.1: source, destination, upper-layer length (32 bits), three zero octets, next header.</summary>
    private static ulong Ipv6PseudoHeaderSum(Hit source, Hit destination, byte protocol, int length)
    {
        ulong sum = AddHits(0, source, destination);
        sum += (uint)length >> 16;
        sum += (uint)length & 0xFFFF;
        return sum + protocol;
    }

    private static ulong AddHits(ulong sum, Hit a, Hit b)
    {
        sum = AddUInt64(sum, a.High);
        sum = AddUInt64(sum, a.Low);
        sum = AddUInt64(sum, b.High);
        return AddUInt64(sum, b.Low);
    }

    private static ulong AddLsis(ulong sum, uint a, uint b) => sum + (a >> 16) + (a & 0xFFFF) + (b >> 16) + (b & 0xFFFF);

    private static ulong AddUInt64(ulong sum, ulong x) =>
        sum + (x >> 48) + ((x >> 32) & 0xFFFF) + ((x >> 16) & 0xFFFF) + (x & 0xFFFF);

    /// <summary>RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), word by word, here with m and m' as folded sums.</summary>
    private static void UpdateChecksum(Span<byte> field, ulong oldSum, ulong newSum, bool udp)
    {
        ushort hc = BinaryPrimitives.ReadUInt16BigEndian(field);
        ulong sum = (ushort)~hc;
        sum += (ushort)~InternetChecksum.Fold(oldSum);
        sum += InternetChecksum.Fold(newSum);
        ushort result = InternetChecksum.Finish(sum);
        if (udp && result == 0)
        {
            result = 0xFFFF; // RFC 768: a computed zero is sent as all ones
        }

        BinaryPrimitives.WriteUInt16BigEndian(field, result);
    }

    private static void WriteFullChecksum(Span<byte> transport, Span<byte> field, ulong pseudoHeaderSum, bool udp)
    {
        field[0] = 0;
        field[1] = 0;
        ushort result = InternetChecksum.Finish(InternetChecksum.Add(pseudoHeaderSum, transport));
        if (udp && result == 0)
        {
            result = 0xFFFF;
        }

        BinaryPrimitives.WriteUInt16BigEndian(field, result);
    }
}
