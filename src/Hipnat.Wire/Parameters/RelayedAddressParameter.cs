using System.Net;

namespace Hipnat.Wire.Parameters;

/// <summary>RELAYED_ADDRESS (RFC 9028 §5.12): the UDP address the Data Relay Server allocated for the client (protocol 17).</summary>
public readonly struct RelayedAddressParameter : IHipParameter<RelayedAddressParameter>
{
    private readonly IPAddress? _address;

    public RelayedAddressParameter(IPAddress address, ushort port, TransportProtocol protocol = TransportProtocol.Udp)
    {
        ArgumentNullException.ThrowIfNull(address);
        _address = Ipv4MappedAddress.Normalize(address);
        Port = port;
        Protocol = protocol;
    }

    public RelayedAddressParameter(IPEndPoint endPoint, TransportProtocol protocol = TransportProtocol.Udp)
        : this(endPoint.Address, (ushort)endPoint.Port, protocol)
    {
    }

    public static ushort Type => ParameterType.RelayedAddress;

    /// <summary>IPv4 (carried IPv4-mapped on the wire) or IPv6.</summary>
    public IPAddress Address => _address ?? IPAddress.IPv6Any;

    public ushort Port { get; }

    public TransportProtocol Protocol { get; }

    public IPEndPoint EndPoint => new(Address, Port);

    public int GetContentLength() => TransportAddressField.Length;

    public void WriteContents(Span<byte> destination) => TransportAddressField.Write(destination, Port, Protocol, Address);

    public static RelayedAddressParameter Read(ReadOnlySpan<byte> contents)
    {
        var address = TransportAddressField.Read(contents, Type, out ushort port, out var protocol);
        return new RelayedAddressParameter(address, port, protocol);
    }
}
