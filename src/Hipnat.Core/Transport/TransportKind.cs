namespace Hipnat.Core.Transport;

/// <summary>How HIP control packets reach a locator.</summary>
public enum TransportKind : byte
{
    /// <summary>UDP with the RFC 9028 §5.1 framing (32 zero bits before HIP control; ESP starts with its SPI).</summary>
    Udp = 0,

    /// <summary>HIP directly over IP, protocol 139 (RFC 7401 §5.1); checksum over the pseudo-header.</summary>
    RawHip = 1,
}
