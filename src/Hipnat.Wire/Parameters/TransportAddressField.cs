using System.Net;

namespace Hipnat.Wire.Parameters;

/// <summary>
/// The 20-octet body shared by REG_FROM, RELAY_FROM, RELAY_TO (RFC 9028 §5.6) and RELAYED_ADDRESS,
/// MAPPED_ADDRESS (§5.12): Port, Protocol, one reserved octet, and a 16-octet address.
/// </summary>
internal static class TransportAddressField
{
    public const int Length = 20;

    public static void Write(Span<byte> destination, ushort port, TransportProtocol protocol, IPAddress address)
    {
        var w = new HipWriter(destination);
        w.WriteUInt16(port);
        w.WriteByte((byte)protocol);
        w.WriteByte(0); // Reserved: zero when sent
        w.WriteAddress(address);
    }

    public static IPAddress Read(ReadOnlySpan<byte> contents, ushort type, out ushort port, out TransportProtocol protocol)
    {
        ParameterChecks.FixedLength(contents, Length, type);
        var r = new HipReader(contents);
        port = r.ReadUInt16();
        protocol = (TransportProtocol)r.ReadByte();
        r.Skip(1); // Reserved: ignored when received
        return r.ReadAddress();
    }
}
