using System.Net;

namespace Hipnat.Wire.Parameters;

/// <summary>REG_FROM (RFC 9028 §5.6, RFC 5770 §5.6): the transport address the Control Relay Server saw the registration come from; signed.</summary>
public readonly struct RegFromParameter : IHipParameter<RegFromParameter>
{
    private readonly IPAddress? _address;

    public RegFromParameter(IPAddress address, ushort port, TransportProtocol protocol = TransportProtocol.Udp)
    {
        ArgumentNullException.ThrowIfNull(address);
        _address = Ipv4MappedAddress.Normalize(address);
        Port = port;
        Protocol = protocol;
    }

    public RegFromParameter(IPEndPoint endPoint, TransportProtocol protocol = TransportProtocol.Udp)
        : this(endPoint.Address, (ushort)endPoint.Port, protocol)
    {
    }

    public static ushort Type => ParameterType.RegFrom;

    /// <summary>IPv4 (carried IPv4-mapped on the wire) or IPv6.</summary>
    public IPAddress Address => _address ?? IPAddress.IPv6Any;

    public ushort Port { get; }

    public TransportProtocol Protocol { get; }

    public IPEndPoint EndPoint => new(Address, Port);

    public int GetContentLength() => TransportAddressField.Length;

    public void WriteContents(Span<byte> destination) => TransportAddressField.Write(destination, Port, Protocol, Address);

    public static RegFromParameter Read(ReadOnlySpan<byte> contents)
    {
        var address = TransportAddressField.Read(contents, Type, out ushort port, out var protocol);
        return new RegFromParameter(address, port, protocol);
    }
}
