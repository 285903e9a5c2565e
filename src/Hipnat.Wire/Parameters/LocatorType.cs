namespace Hipnat.Wire.Parameters;

/// <summary>Locator Type (RFC 8046 §4.2, RFC 9028 §5.7).</summary>
public enum LocatorType : byte
{
    /// <summary>An IPv6 or IPv4-mapped address, 4 words.</summary>
    Address = 0,

    /// <summary>ESP SPI followed by an IPv6 or IPv4-mapped address, 5 words.</summary>
    EspSpiAddress = 1,

    /// <summary>Transport address: port, protocol, kind, priority, SPI, address; 7 words (RFC 9028 §5.7).</summary>
    TransportAddress = 2,
}
