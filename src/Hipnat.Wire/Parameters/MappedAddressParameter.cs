using System.Net;

namespace Hipnat.Wire.Parameters;

/// <summary>MAPPED_ADDRESS (RFC 9028 §5.12): the reflexive UDP address a connectivity check came from (protocol 17).</summary>
public readonly struct MappedAddressParameter : IHipParameter<MappedAddressParameter>
{
    private readonly IPAddress? _address;

    public MappedAddressParameter(IPAddress address, ushort port, TransportProtocol protocol = TransportProtocol.Udp)
    {
        ArgumentNullException.ThrowIfNull(address);
        _address = Ipv4MappedAddress.Normalize(address);
        Port = port;
        Protocol = protocol;
    }

    public MappedAddressParameter(IPEndPoint endPoint, TransportProtocol protocol = TransportProtocol.Udp)
        : this(endPoint.Address, (ushort)endPoint.Port, protocol)
    {
    }

    public static ushort Type => ParameterType.MappedAddress;

    /// <summary>IPv4 (carried IPv4-mapped on the wire) or IPv6.</summary>
    public IPAddress Address => _address ?? IPAddress.IPv6Any;

    public ushort Port { get; }

    public TransportProtocol Protocol { get; }

    public IPEndPoint EndPoint => new(Address, Port);

    public int GetContentLength() => TransportAddressField.Length;

    public void WriteContents(Span<byte> destination) => TransportAddressField.Write(destination, Port, Protocol, Address);

    public static MappedAddressParameter Read(ReadOnlySpan<byte> contents)
    {
        var address = TransportAddressField.Read(contents, Type, out ushort port, out var protocol);
        return new MappedAddressParameter(address, port, protocol);
    }
}
