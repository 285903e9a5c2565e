namespace Hipnat.Wire.Parameters;

/// <summary>IANA Internet Protocol numbers used in transport-address fields (RFC 9028 §5.6, §5.7).</summary>
public enum TransportProtocol : byte
{
    /// <summary>Plain IP, port zero (REG_FROM/RELAY_FROM/RELAY_TO only).</summary>
    PlainIp = 0,
    Udp = 17,
}
