namespace Hipnat.Runtime.Control;

/// <summary>One ESP security association pair of a host association.</summary>
public sealed class SaReport
{
    /// <summary>Inbound SPI as 8 hex digits.</summary>
    public string InboundSpi { get; set; } = string.Empty;

    public string OutboundSpi { get; set; } = string.Empty;

    public int Suite { get; set; }

    public int KeymatIndex { get; set; }

    public int Generation { get; set; }

    /// <summary>The locator pair a multihoming SA pair is bound to (RFC 8047 §4.2.4), local end; null for the primary pair.</summary>
    public string? BoundLocal { get; set; }

    /// <summary>The peer's end of the bound locator pair; null for the primary pair.</summary>
    public string? BoundPeer { get; set; }

    /// <summary>The bound path's state (active, standby, failed...); null for the primary pair.</summary>
    public string? BoundState { get; set; }
}
