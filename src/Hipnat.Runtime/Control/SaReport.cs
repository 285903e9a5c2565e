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
}
