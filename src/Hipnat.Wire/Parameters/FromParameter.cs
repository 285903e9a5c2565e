using System.Net;

namespace Hipnat.Wire.Parameters;

/// <summary>FROM (RFC 8004 §4.2.2): the original source address of a packet an RVS relayed.</summary>
public readonly struct FromParameter : IHipParameter<FromParameter>
{
    public const int ContentLength = Ipv4MappedAddress.Length;

    private readonly IPAddress? _address;

    public FromParameter(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        _address = Ipv4MappedAddress.Normalize(address);
    }

    public static ushort Type => ParameterType.From;

    /// <summary>IPv6, or IPv4 (IPv4-mapped on the wire).</summary>
    public IPAddress Address => _address ?? IPAddress.IPv6Any;

    public int GetContentLength() => ContentLength;

    public void WriteContents(Span<byte> destination) => new HipWriter(destination).WriteAddress(Address);

    public static FromParameter Read(ReadOnlySpan<byte> contents)
    {
        ParameterChecks.FixedLength(contents, ContentLength, Type);
        return new FromParameter(Ipv4MappedAddress.Read(contents));
    }
}
