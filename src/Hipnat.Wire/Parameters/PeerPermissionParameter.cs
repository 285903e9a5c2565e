using System.Net;

namespace Hipnat.Wire.Parameters;

/// <summary>
/// PEER_PERMISSION (RFC 9028 §5.13, Length 48): one forwarding rule at the Data Relay Server: the relayed
/// (server-reflexive) port and address, the peer's port and address, the protocol, and the outbound and
/// inbound SPIs. A client with several peers sends several PEER_PERMISSION parameters.
/// </summary>
public readonly struct PeerPermissionParameter : IHipParameter<PeerPermissionParameter>
{
    public const int ContentLength = 48;

    private readonly IPAddress? _relayAddress;
    private readonly IPAddress? _peerAddress;

    public PeerPermissionParameter(
        IPEndPoint relayed,
        IPEndPoint peer,
        uint outboundSpi,
        uint inboundSpi,
        TransportProtocol protocol = TransportProtocol.Udp)
        : this(relayed.Address, (ushort)relayed.Port, peer.Address, (ushort)peer.Port, outboundSpi, inboundSpi, protocol)
    {
    }

    public PeerPermissionParameter(
        IPAddress relayAddress,
        ushort relayPort,
        IPAddress peerAddress,
        ushort peerPort,
        uint outboundSpi,
        uint inboundSpi,
        TransportProtocol protocol = TransportProtocol.Udp)
    {
        ArgumentNullException.ThrowIfNull(relayAddress);
        ArgumentNullException.ThrowIfNull(peerAddress);
        _relayAddress = Ipv4MappedAddress.Normalize(relayAddress);
        _peerAddress = Ipv4MappedAddress.Normalize(peerAddress);
        RelayPort = relayPort;
        PeerPort = peerPort;
        OutboundSpi = outboundSpi;
        InboundSpi = inboundSpi;
        Protocol = protocol;
    }

    public static ushort Type => ParameterType.PeerPermission;

    /// <summary>RPort: the port of the server-reflexive candidate at the Data Relay Server.</summary>
    public ushort RelayPort { get; }

    /// <summary>PPort: the peer's port.</summary>
    public ushort PeerPort { get; }

    public TransportProtocol Protocol { get; }

    /// <summary>RAddress: the server-reflexive candidate's address.</summary>
    public IPAddress RelayAddress => _relayAddress ?? IPAddress.IPv6Any;

    /// <summary>PAddress: the peer's address.</summary>
    public IPAddress PeerAddress => _peerAddress ?? IPAddress.IPv6Any;

    /// <summary>OSPI: the SPI the Data Relay Client uses towards the peer.</summary>
    public uint OutboundSpi { get; }

    /// <summary>ISPI: the SPI the Data Relay Client expects from the peer.</summary>
    public uint InboundSpi { get; }

    public IPEndPoint RelayEndPoint => new(RelayAddress, RelayPort);

    public IPEndPoint PeerEndPoint => new(PeerAddress, PeerPort);

    public int GetContentLength() => ContentLength;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteUInt16(RelayPort);
        w.WriteUInt16(PeerPort);
        w.WriteByte((byte)Protocol);
        w.WriteZeros(3); // Reserved: zero when sent
        w.WriteAddress(RelayAddress);
        w.WriteAddress(PeerAddress);
        w.WriteUInt32(OutboundSpi);
        w.WriteUInt32(InboundSpi);
    }

    public static PeerPermissionParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.FixedLength(contents, ContentLength, Type);
        var r = new HipReader(contents);
        ushort rport = r.ReadUInt16();
        ushort pport = r.ReadUInt16();
        var protocol = (TransportProtocol)r.ReadByte();
        r.Skip(3); // Reserved: ignored when received
        var raddr = r.ReadAddress();
        var paddr = r.ReadAddress();
        uint ospi = r.ReadUInt32();
        uint ispi = r.ReadUInt32();
        return new PeerPermissionParameter(raddr, rport, paddr, pport, ospi, ispi, protocol);
    }
}
