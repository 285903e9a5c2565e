using Hipnat.Wire;

namespace Hipnat.DataPlane.Beet;

/// <summary>
/// What BEET output processing needs from an IP packet read from the TUN device (RFC 7402 Appendix B.1.5): the
/// inner addresses (HITs or LSIs), the protocol and where its payload lies, and the header fields worth carrying
/// over to the other end.
/// </summary>
public readonly struct InnerPacket
{
    internal InnerPacket(
        int version, byte protocol, int payloadOffset, int payloadLength, Hit sourceHit, Hit destinationHit,
        uint sourceLsi, uint destinationLsi, byte hopLimit, byte trafficClass, bool dontFragment, bool isFragment, bool hadOptions,
        ushort identification = 0, ushort flagsAndOffset = 0)
    {
        Version = version;
        Protocol = protocol;
        PayloadOffset = payloadOffset;
        PayloadLength = payloadLength;
        SourceHit = sourceHit;
        DestinationHit = destinationHit;
        SourceLsi = sourceLsi;
        DestinationLsi = destinationLsi;
        HopLimit = hopLimit;
        TrafficClass = trafficClass;
        DontFragment = dontFragment;
        IsFragment = isFragment;
        HadOptions = hadOptions;
        Identification = identification;
        FlagsAndOffset = flagsAndOffset;
    }

    /// <summary>4 (LSIs) or 6 (HITs).</summary>
    public int Version { get; }

    /// <summary>IPv4 Protocol or IPv6 Next Header: the ESP Next Header to seal with.</summary>
    public byte Protocol { get; }

    /// <summary>Offset of the payload (after the IPv4 header with options, or the fixed IPv6 header).</summary>
    public int PayloadOffset { get; }

    public int PayloadLength { get; }

    /// <summary>Source address of an IPv6 packet (a HIT when the packet belongs to HIP).</summary>
    public Hit SourceHit { get; }

    /// <summary>Destination address of an IPv6 packet: the peer HIT that selects the outbound SA.</summary>
    public Hit DestinationHit { get; }

    /// <summary>Source address of an IPv4 packet, as a big-endian number (a.b.c.d is a·2^24 + b·2^16 + c·2^8 + d).</summary>
    public uint SourceLsi { get; }

    /// <summary>Destination address of an IPv4 packet: the peer LSI.</summary>
    public uint DestinationLsi { get; }

    /// <summary>TTL or Hop Limit.</summary>
    public byte HopLimit { get; }

    /// <summary>IPv4 TOS or IPv6 Traffic Class.</summary>
    public byte TrafficClass { get; }

    /// <summary>IPv4 DF bit (always true for IPv6, which routers never fragment).</summary>
    public bool DontFragment { get; }

    /// <summary>
    /// An IPv4 fragment (MF set or a non-zero offset). BEET's rebuilt header would lose its fragmentation fields, so it
    /// is carried with its IPv4 header (<see cref="BeetPacket.TryPrepareIpv4Fragment"/>).
    /// </summary>
    public bool IsFragment { get; }

    /// <summary>IPv4 Identification (0 for IPv6).</summary>
    public ushort Identification { get; }

    /// <summary>The IPv4 flags (reserved, DF, MF) and fragment offset word as on the wire (0 for IPv6).</summary>
    public ushort FlagsAndOffset { get; }

    /// <summary>IPv4 MF bit: more fragments follow.</summary>
    public bool MoreFragments => (FlagsAndOffset & 0x2000) != 0;

    /// <summary>IPv4 fragment offset in octets (the field counts 8-octet units).</summary>
    public int FragmentOffset => (FlagsAndOffset & 0x1FFF) * 8;

    /// <summary>The IPv4 header carried options, which BEET output discards (RFC 7402 B.1.5 step 4).</summary>
    public bool HadOptions { get; }

    public bool IsIpv6 => Version == 6;

    public ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> packet) => packet.Slice(PayloadOffset, PayloadLength);

    public Span<byte> Payload(Span<byte> packet) => packet.Slice(PayloadOffset, PayloadLength);
}
